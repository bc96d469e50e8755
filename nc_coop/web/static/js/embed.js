/* SPDX-FileCopyrightText: 2026 nc_coop contributors
 * SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * Loaded by AppAPI on the top-menu page /apps/app_api/embedded/<appid>/<menu>, which contains
 * only <div id="content">. It mounts our server-rendered pages in a same-origin iframe through
 * the proxy (APPAPI.md part 2 §4, the FLOW pattern without Vue).
 */
(function () {
	'use strict'
	function mount() {
		var content = document.getElementById('content')
		var path = window.location.pathname
		var marker = '/apps/app_api/embedded/'
		var at = path.indexOf(marker)
		if (!content || at < 0) return
		var appId = path.slice(at + marker.length).split('/')[0]
		var frame = document.createElement('iframe')
		frame.src = path.slice(0, at) + '/apps/app_api/proxy/' + encodeURIComponent(appId) + '/'
		frame.title = (window.t ? window.t(appId, 'Cooperative') : 'Cooperative')
		frame.className = 'nc-coop-frame'
		frame.style.border = '0'
		frame.style.width = '100%'
		frame.style.height = '100%'
		frame.style.display = 'block'
		content.replaceChildren(frame)
		// Nextcloud gives #content a fixed height below its header (FLOW's iframe is 100% too);
		// 100vh minus the header would overflow its margins. Without such a container the
		// browser's default 150px would remain, so fall back to the viewport.
		if (frame.getBoundingClientRect().height < window.innerHeight / 2) {
			frame.style.height = 'calc(100vh - var(--header-height, 50px))'
		}
	}
	if (document.readyState === 'loading') {
		document.addEventListener('DOMContentLoaded', mount)
	} else {
		mount()
	}
})()
