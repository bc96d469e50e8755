/* SPDX-FileCopyrightText: 2026 nc_coop contributors
 * SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * Inside Nextcloud our pages live in a same-origin iframe. Copying the parent's data-theme-*
 * attributes lets a theme the user chose (e.g. dark while the OS is light) apply here too;
 * without a parent the media queries in base.html decide.
 */
(function () {
	'use strict'
	function followParentTheme() {
		var parentBody
		try {
			if (window.parent === window) return
			parentBody = window.parent.document.body
		} catch (e) {
			return // not same-origin: keep the media-query themes
		}
		if (!parentBody) return
		// On <html> as well as <body>: html's own background reads the variables too, and with
		// them on <body> only, a forced theme left the area below short pages in the OS theme.
		Array.prototype.forEach.call(parentBody.attributes, function (attr) {
			if (attr.name.indexOf('data-theme') === 0) {
				document.documentElement.setAttribute(attr.name, attr.value)
				document.body.setAttribute(attr.name, attr.value)
			}
		})
	}
	if (document.readyState === 'loading') {
		document.addEventListener('DOMContentLoaded', followParentTheme)
	} else {
		followParentTheme()
	}
})()
