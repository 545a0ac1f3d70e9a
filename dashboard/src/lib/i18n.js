// The dashboard's texts (strings.js) added to the shared i18n; the words for statuses, reasons,
// directions, outcomes and events come from the shared vocabulary (web/common/i18n.js).
import { addStrings } from '@common/i18n.js'
import { STRINGS } from '../strings.js'

addStrings(STRINGS)

export { label, lang, onLangChange, setLang, t } from '@common/i18n.js'
