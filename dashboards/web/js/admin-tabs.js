// The admin view's tabs: stations and devices (admin.js), users (admin-people.js) and wall screens
// (admin-walls.js). admin.js draws into the stations panel as it drew into the whole view before.
import { h, replace } from './dom.js'
import { onLangChange, t } from './i18n.js'
import { renderPeople } from './admin-people.js'
import { renderWalls } from './admin-walls.js'

/** @typedef {'stations' | 'people' | 'walls'} AdminTab */

const TABS = /** @type {AdminTab[]} */ (['stations', 'people', 'walls'])
const TAB_KEY = 'stationwatch.adminTab'

// Told before the page redraws its views in the other language: a form being filled in is kept.
let relabel = false
onLangChange(() => (relabel = document.body.dataset.view === 'admin'))

/** @type {{ view: HTMLElement, bar: HTMLElement, panels: Record<AdminTab, HTMLElement>, current: AdminTab } | null} */
let ui = null

/**
 * Builds the tab bar and the three panels of the admin view; returns the stations panel, which
 * admin.js draws into.
 * @param {HTMLElement} view
 * @returns {HTMLElement}
 */
export function adminTabs(view) {
  const panel = (/** @type {AdminTab} */ tab) => h('div', { id: `admin-panel-${tab}`, class: 'admin-panel', role: 'tabpanel', 'aria-labelledby': `admin-tab-${tab}`, dataset: { panel: tab } })
  const panels = { stations: panel('stations'), people: panel('people'), walls: panel('walls') }
  const bar = h('div', { class: 'admin-tabs', role: 'tablist', 'data-testid': 'admin-tabs' })
  // put in the page when an admin first opens the view: for anyone else the view stays empty
  ui = { view, bar, panels, current: storedTab() }
  return panels.stations
}

/**
 * Draws the tab bar and opens the current tab afresh (the admin view was opened, or the language
 * changed). `tab` switches to another one.
 * @param {AdminTab} [tab]
 */
export function showAdminTab(tab) {
  if (!ui) return
  if (!ui.bar.isConnected) ui.view.replaceChildren(ui.bar, ui.panels.stations, ui.panels.people, ui.panels.walls)
  if (tab) ui.current = tab
  try {
    sessionStorage.setItem(TAB_KEY, ui.current)
  } catch {
    // not remembered; fine
  }
  const current = ui.current
  replace(
    ui.bar,
    TABS.map((k) =>
      h(
        'button',
        { type: 'button', role: 'tab', id: `admin-tab-${k}`, class: `admin-tab${k === current ? ' active' : ''}`, 'aria-selected': String(k === current), 'aria-controls': `admin-panel-${k}`, 'data-admin-tab': k, onclick: () => k !== current && showAdminTab(k) },
        t(`admin.tab.${k}`),
      ),
    ),
  )
  for (const k of TABS) ui.panels[k].hidden = k !== current
  const keepForm = relabel && !tab && !!ui.panels[current].querySelector('form')
  relabel = false
  if (keepForm) return
  if (current === 'people') renderPeople(ui.panels.people)
  if (current === 'walls') renderWalls(ui.panels.walls)
}

/** @returns {AdminTab} */
function storedTab() {
  try {
    const v = /** @type {AdminTab} */ (sessionStorage.getItem(TAB_KEY))
    return TABS.includes(v) ? v : 'stations'
  } catch {
    return 'stations'
  }
}
