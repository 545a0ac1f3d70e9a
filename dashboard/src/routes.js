// One entry per view: its hash path, its title key and its render(main, ctx) -> cleanup. `hidden`: not
// in the navigation (reached from elsewhere: an item's page from the search box or a link).
import { renderComplaints } from './views/complaints.js'
import { renderHandovers } from './views/handovers.js'
import { renderImport } from './views/import.js'
import { renderItem } from './views/item.js'
import { renderMap } from './views/map.js'
import { renderPlanning } from './views/planning.js'
import { renderReports } from './views/reports.js'
import { renderToday } from './views/today.js'

export const ROUTES = [
  { path: 'today', title: 'nav.today', render: renderToday },
  { path: 'map', title: 'nav.map', render: renderMap },
  { path: 'planning', title: 'nav.planning', render: renderPlanning },
  { path: 'import', title: 'nav.import', render: renderImport },
  { path: 'handovers', title: 'nav.handovers', render: renderHandovers },
  { path: 'reports', title: 'nav.reports', render: renderReports },
  { path: 'complaints', title: 'nav.complaints', render: renderComplaints },
  { path: 'items', title: 'nav.item', render: renderItem, hidden: true },
]
