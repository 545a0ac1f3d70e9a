import 'leaflet/dist/leaflet.css'
import '@common/base.css'
import './styles.css'
import { useTextDates } from '@common/dom.js'
import { start } from './app.js'

useTextDates() // dates typed and shown as dd/mm/yyyy, whatever the browser's language
start(document.getElementById('app'))
