// An error the postman can act on: `key` names a sentence in i18n.js that says what to do.
export class UserError extends Error {
  constructor(key, params) {
    super(key)
    this.name = 'UserError'
    this.key = key
    this.params = params
  }
}
