import 'leaflet/dist/leaflet.css'
import '@common/base.css'
import './styles.css'
import { start } from './app.js'

start(document.getElementById('app'))
