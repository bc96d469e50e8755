# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP sync: reconcile the directory's users and member organisations into the register.

``settings`` (environment), ``reader`` (the only module that talks LDAP), ``plan`` (pure diff),
``lease`` (one sync at a time), ``models`` (own tables), ``job`` (``run_sync``), ``runner``
(background runs and the schedule), ``cli``, ``views`` and ``openapi``.
"""
