// One entry per view: its hash path, its title key and its render(main, ctx) -> cleanup. `hidden`: not
// in the navigation (reached from elsewhere: an item's page from the search box or a link).
// `for`: the audiences that see it: staff (supervisors, admins: the default) and agency (the agency
// officer's portal); `roles`: only these roles (the API keys screen: administrators). The API refuses an officer the staff endpoints whatever the page shows.
import { audience } from './lib/session.js'
import { renderComplaints } from './views/complaints.js'
import { renderFees } from './views/fees.js'
import { renderHandovers } from './views/handovers.js'
import { renderImport } from './views/import.js'
import { renderItem } from './views/item.js'
import { renderKeys } from './views/keys.js'
import { renderMap } from './views/map.js'
import { renderPlanning } from './views/planning.js'
import { renderPortal } from './views/portal.js'
import { renderReports } from './views/reports.js'
import { renderToday } from './views/today.js'

export const ROUTES = [
  { path: 'today', title: 'nav.today', render: renderToday },
  { path: 'map', title: 'nav.map', render: renderMap },
  { path: 'planning', title: 'nav.planning', render: renderPlanning },
  { path: 'import', title: 'nav.import', render: renderImport },
  { path: 'mine', title: 'nav.mine', render: renderPortal, for: ['agency'] },
  { path: 'fees', title: 'nav.fees', render: renderFees, for: ['agency'] },
  { path: 'handovers', title: 'nav.handovers', render: renderHandovers, for: ['staff', 'agency'] },
  { path: 'reports', title: 'nav.reports', render: renderReports },
  { path: 'complaints', title: 'nav.complaints', render: renderComplaints },
  { path: 'keys', title: 'nav.keys', render: renderKeys, roles: ['admin'] },
  { path: 'items', title: 'nav.item', render: renderItem, hidden: true },
]

export function routesFor(user) {
  const who = audience(user)
  return ROUTES.filter(
    (r) => (r.for || ['staff']).includes(who) && (!r.roles || r.roles.includes(user?.role)),
  )
}
