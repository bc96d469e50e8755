/* SPDX-FileCopyrightText: 2026 nc_coop contributors
 * SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * Progress of a background job (LDAP sync, quota apply): while one is running, poll the JSON API
 * once a second and show how far it is; when it has finished, reload the page so that the list
 * below shows it.
 *
 * The element carries data-job-progress and:
 *   data-url      the JSON API, answering {active: {phase, done, total} | null}
 *   data-running  "1" while a job is running
 *   data-label    the text for [data-progress-text], with {phase}, {done} and {total} filled in
 */
(function () {
	'use strict'
	function label(template, active) {
		return template.replace(/\{(phase|done|total)\}/g, function (_, key) { return active[key] })
	}
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
				if (text) text.textContent = label(box.dataset.label, state.active)
				window.setTimeout(function () { poll(box) }, 1000)
			})
			.catch(function () { window.setTimeout(function () { poll(box) }, 5000) })
	}
	document.addEventListener('DOMContentLoaded', function () {
		document.querySelectorAll('[data-job-progress]').forEach(function (box) {
			if (box.dataset.running === '1') window.setTimeout(function () { poll(box) }, 1000)
		})
	})
})()
