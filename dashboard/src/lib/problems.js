// A refused request as a sentence for the supervisor, in their language, from the problem's code and
// parameters (web/common/problems.js); the dashboard's own codes are its `problem.*` strings.
export { problemMessage as problemText } from '@common/problems.js'
