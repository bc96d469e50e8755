/* SPDX-FileCopyrightText: 2026 nc_coop contributors
 * SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * The page that answers a successful form (templates/web/see_other.html) names where to go in
 * data-continue. Replacing the history entry means a reload or Back never sends the form again
 * (nc_coop/web/navigation.py says why a 303 cannot do this behind Nextcloud's proxy).
 */
(function () {
	'use strict'
	var main = document.querySelector('[data-continue]')
	if (main) window.location.replace(new URL(main.dataset.continue, window.location.href).href)
})()
