// ESLint for the web code (`make lint`): the recommended rules over both apps and their shared base.
// Formatting is Prettier's job (.prettierrc.json), so no stylistic rules here.
import js from '@eslint/js'
import globals from 'globals'

const WEB = ['mobile_pwa/src/**/*.js', 'dashboard/src/**/*.js', 'web/common/**/*.js']

export default [
  { ignores: ['**/node_modules/', '**/dist/'] },
  {
    files: WEB,
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      // __APP_VERSION__: mobile_pwa/vite.config.js `define`s it at build time.
      globals: { ...globals.browser, __APP_VERSION__: 'readonly' },
    },
  },
  {
    files: ['mobile_pwa/src/sw.js'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
]
