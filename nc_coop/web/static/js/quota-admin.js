/* SPDX-FileCopyrightText: 2026 nc_coop contributors
 * SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * The quota admin page: while changes are being applied, poll the JSON API once a second and
 * show the progress; when the run has finished, reload the page so that the change log shows it.
 */
(function () {
	'use strict'
	function poll(box) {
		fetch(box.dataset.url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
			.then(function (response) { return response.ok ? response.json() : null })
			.then(function (state) {
				if (!state) return
				if (!state.active) {
					window.location.reload()
					return
				}
				var bar = box.querySelector('progress')
				if (bar && state.active.total) {
					bar.max = state.active.total
					bar.value = state.active.done
				}
				var text = box.querySelector('[data-progress-text]')
				if (text) text.textContent = state.active.done + ' / ' + state.active.total
				window.setTimeout(function () { poll(box) }, 1000)
			})
			.catch(function () { window.setTimeout(function () { poll(box) }, 5000) })
	}
	document.addEventListener('DOMContentLoaded', function () {
		var box = document.getElementById('quota-progress')
		if (box && box.dataset.running === '1') window.setTimeout(function () { poll(box) }, 1000)
	})
})()
