# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The general assembly's part of the OpenAPI document (nc_coop.web.openapi)."""
from __future__ import annotations

from typing import Any

from apispec import APISpec

from nc_coop.assembly.schemas import (
    AdminAssemblyOut,
    GeneralAssembliesOut,
    AssemblyDetailOut,
    AssemblySchema,
    AssemblyAttendanceOut,
    AttendanceSchema,
    ConveneSchema,
    DemandAddSchema,
    DemandOut,
    DemandRefuseSchema,
    DemandSchema,
    DemandsOut,
    DemandSupportSchema,
    EmptySchema,
    HeirsSchema,
    ItemSchema,
    MinutesSchema,
    AssemblyProxyOut,
    ProxySchema,
    ReceiptCheckOut,
    ReceiptCheckSchema,
    ReceiptOut,
    ReceiptsOut,
    ResultsOut,
    RoomCountSchema,
    VoteSchema,
)
from nc_coop.web.openapi import error_responses, output_schema, security


def _id(name: str, description: str) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "description": description,
            "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}, "example": 1}


ASSEMBLY = _id("assembly_id", "The assembly's id")
MEMBER = (401, 403, 404, 413, 422)
BOARD = (401, 403, 404, 413, 422, 502, 503)
ADMIN = "/api/v1/admin/general-assemblies"


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _get(operation_id: str, summary: str, result: str, description: str, tags: list[str],
         codes: tuple[int, ...] = (401, 404)) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "tags": tags, "security": security(), "summary": summary,
                    "responses": {"200": _json(result, description), **error_responses(*codes)}}}


def _post(operation_id: str, summary: str, body: str, example: dict[str, Any], result: str, description: str,
          tags: list[str], codes: tuple[int, ...], status: str = "201") -> dict[str, Any]:
    return {"post": {"operationId": operation_id, "tags": tags, "security": security(csrf=True), "summary": summary,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": body,
                                                                                        "example": example}}},
                     "responses": {status: _json(result, description), **error_responses(*codes)}}}


def describe(spec: APISpec) -> None:
    # The demand first: the detail schemas nest it (registered twice otherwise).
    for name, schema in (("AgendaDemand", DemandOut), ("AgendaDemands", DemandsOut),
                         ("AssemblyProxy", AssemblyProxyOut), ("Receipt", ReceiptOut), ("AssemblyResults", ResultsOut),
                         ("AssemblyReceipts", ReceiptsOut), ("ReceiptCheck", ReceiptCheckOut),
                         ("AssemblyAttendance", AssemblyAttendanceOut), ("GeneralAssemblies", GeneralAssembliesOut),
                         ("AssemblyDetail", AssemblyDetailOut), ("AdminAssembly", AdminAssemblyOut)):
        output_schema(spec, name, schema)
    for name, schema in (("ProxyRequest", ProxySchema), ("VoteRequest", VoteSchema),
                         ("ReceiptCheckRequest", ReceiptCheckSchema), ("GeneralAssemblyRequest", AssemblySchema),
                         ("AgendaItemRequest", ItemSchema), ("ConveneRequest", ConveneSchema),
                         ("HeirsRepresentativeRequest", HeirsSchema), ("AttendanceRequest", AttendanceSchema),
                         ("RoomCountRequest", RoomCountSchema), ("MinutesRequest", MinutesSchema),
                         ("EmptyAssemblyRequest", EmptySchema), ("AgendaDemandRequest", DemandSchema),
                         ("AgendaDemandSupportRequest", DemandSupportSchema),
                         ("AgendaDemandAddRequest", DemandAddSchema), ("AgendaDemandRefuseRequest", DemandRefuseSchema)):
        spec.components.schema(name, schema=schema)
    member = ["assembly"]
    board = ["admin", "assembly"]

    spec.path("/api/v1/assemblies", operations=_get(
        "listMyAssemblies", "Convened assemblies the user takes part in (as a member on the assembly date, or "
        "voting for others)", "GeneralAssemblies", "The latest first", member, (401,)))
    spec.path("/api/v1/assemblies/{assembly_id}", parameters=[ASSEMBLY], operations=_get(
        "getAssembly", "One assembly: agenda, papers, the user's proxies, whose votes they cast, §45 deadline",
        "AssemblyDetail", "The assembly", member))
    spec.path("/api/v1/assemblies/{assembly_id}/proxies", parameters=[ASSEMBLY], operations=_post(
        "grantProxy", "Authorise another member to vote for a membership the user acts for (§43 Abs. 5 GenG; "
        "the declaration in the app is the text form)", "ProxyRequest",
        {"membership_id": 1, "proxy_member_no": 2, "declare": True}, "AssemblyProxy", "The standing proxy", member, MEMBER))
    spec.path("/api/v1/assemblies/{assembly_id}/proxies/{proxy_id}/revoke",
              parameters=[ASSEMBLY, _id("proxy_id", "The proxy's id")], operations=_post(
                  "revokeProxy", "Revoke a proxy the user's membership gave; possible until voting opens",
                  "EmptyAssemblyRequest", {}, "AssemblyProxy", "The revoked proxy", member, MEMBER, status="200"))
    demand = _id("demand_id", "The demand's id")
    spec.path("/api/v1/assemblies/{assembly_id}/demands", parameters=[ASSEMBLY], operations={
        **_get("listAgendaDemands", "Members' demands for agenda items (§45 GenG) with their support and the "
               "number needed", "AgendaDemands", "In the order filed", member),
        **_post("fileAgendaDemand", "Demand an agenda item for a membership the user acts for, with its reasons "
                "(§45 GenG), until the agenda deadline (§46 Abs. 2); the membership is its first supporter",
                "AgendaDemandRequest", {"membership_id": 1, "title": "Satzungsänderung §12",
                                        "reasoning": "Die Beitragsordnung ist veraltet."},
                "AgendaDemand", "Filed", member, MEMBER)})
    spec.path("/api/v1/assemblies/{assembly_id}/demands/{demand_id}/support", parameters=[ASSEMBLY, demand],
              operations=_post("supportAgendaDemand", "Support a demand for a membership the user acts for, once, "
                               "until the agenda deadline", "AgendaDemandSupportRequest", {"membership_id": 1},
                               "AgendaDemand", "Supported", member, MEMBER, status="200"))
    spec.path("/api/v1/assemblies/{assembly_id}/demands/{demand_id}/withdraw", parameters=[ASSEMBLY, demand],
              operations=_post("withdrawAgendaDemandSupport", "Withdraw a membership's support, until the agenda "
                               "deadline and while the board has not decided", "AgendaDemandSupportRequest",
                               {"membership_id": 1}, "AgendaDemand", "Withdrawn", member, MEMBER, status="200"))
    spec.path("/api/v1/assemblies/{assembly_id}/votes", parameters=[ASSEMBLY], operations=_post(
        "castVotes", "Cast the votes of one membership (own, represented, as heirs' representative or as proxy) "
        "on some items, once per item", "VoteRequest", {"membership_id": 1, "choices": {"1": "yes", "3": [0, 2]}},
        "Receipt", "Counted; the receipt code is shown only in this answer", member, MEMBER))
    spec.path("/api/v1/assemblies/{assembly_id}/results", parameters=[ASSEMBLY], operations=_get(
        "getAssemblyResults", "Results after voting closed: votes, majority needed, quorum, passed or not",
        "AssemblyResults", "Per item", member))
    spec.path("/api/v1/assemblies/{assembly_id}/receipts", parameters=[ASSEMBLY], operations=_get(
        "listAssemblyReceipts", "The published receipts of every counted ballot (no choices)", "AssemblyReceipts",
        "Per item, sorted", member))
    spec.path("/api/v1/assemblies/{assembly_id}/receipts/check", parameters=[ASSEMBLY], operations=_post(
        "checkAssemblyReceipt", "Find the ballots of a receipt code among the published receipts (writes nothing)",
        "ReceiptCheckRequest", {"code": "Zm9vYmFyYmF6cXV4MTIz"}, "ReceiptCheck", "Per item, ballots found",
        member, MEMBER, status="200"))

    spec.path(ADMIN, operations={
        **_get("listGeneralAssemblies", "Every voting assembly (cooperative admins); the documents' list is "
               "/api/v1/admin/assemblies", "GeneralAssemblies", "The latest first", board, (401, 403, 502, 503)),
        **_post("createGeneralAssembly", "Create a draft assembly: form, date, place or link, voting phase",
                "GeneralAssemblyRequest", {"title": "Ordentliche Generalversammlung 2027", "form": "presence",
                                    "held_on": "2027-06-20", "place": "Vereinsheim, Hauptstr. 1"},
                "AdminAssembly", "The draft", board, (401, 403, 413, 422, 502, 503))})
    spec.path(f"{ADMIN}/{{assembly_id}}", parameters=[ASSEMBLY], operations=_get(
        "getGeneralAssembly", "One assembly with the roll count, deadlines, proxies and the last outreach notes",
        "AdminAssembly", "The assembly", board, (401, 403, 404, 502, 503)))
    actions = (
        ("items", "addAgendaItem", "Add an agenda item with its resolution type (elections: seats, candidates; "
         "§45 demands: supporters)", "AgendaItemRequest", {"title": "Entlastung des Vorstands",
                                                            "resolution_type": "simple"}),
        ("convene", "conveneGeneralAssembly", "Convene today (§46 GenG): invites every member; a late invitation "
         "needs accept_warnings", "ConveneRequest", {"accept_warnings": False}),
        ("heirs-representative", "nameHeirsRepresentative", "Name the heirs' joint representative of a deceased "
         "member (§77 GenG)", "HeirsRepresentativeRequest",
         {"member_no": 3, "nextcloud_user": "erbe", "basis_document": "Erbschein 2026"}),
        ("discussion", "startDiscussion", "Start the discussion phase of a gestreckt assembly", "EmptyAssemblyRequest",
         {}),
        ("voting", "openVoting", "Open voting: freezes the roll (see facts.roll_voters)", "EmptyAssemblyRequest", {}),
        ("attendance", "recordAttendance", "Mark a voter present in the room (presence, hybrid)",
         "AttendanceRequest", {"member_no": 7}),
        ("close", "closeVoting", "Close voting: the ballots are counted", "EmptyAssemblyRequest", {}),
        ("minutes", "publishMinutes", "Make and publish the minutes (§47 GenG)", "MinutesRequest",
         {"language": "de"}),
    )
    for path, operation_id, summary, body, example in actions:
        spec.path(f"{ADMIN}/{{assembly_id}}/{path}", parameters=[ASSEMBLY], operations=_post(
            operation_id, summary, body, example, "AdminAssembly", "Done; notes tell what members were sent",
            board, BOARD))
    spec.path(f"{ADMIN}/{{assembly_id}}/items/{{item_id}}/room-count",
              parameters=[ASSEMBLY, _id("item_id", "The agenda item's id")], operations=_post(
                  "enterRoomCount", "Enter the votes counted in the room for one item, once", "RoomCountRequest",
                  {"yes": 3, "no": 1, "abstain": 0, "participants": 4}, "AdminAssembly", "Entered", board, BOARD))
    spec.path(f"{ADMIN}/{{assembly_id}}/demands/{{demand_id}}/add", parameters=[ASSEMBLY, demand],
              operations=_post("addAgendaDemand", "Put a demand with enough supporters on the agenda (§45 GenG): "
                               "the item is announced today with the real supporter count", "AgendaDemandAddRequest",
                               {"resolution_type": "simple"}, "AdminAssembly", "Added", board, BOARD))
    spec.path(f"{ADMIN}/{{assembly_id}}/demands/{{demand_id}}/refuse", parameters=[ASSEMBLY, demand],
              operations=_post("refuseAgendaDemand", "Refuse a demand with a reason members see",
                               "AgendaDemandRefuseRequest", {"reason": "Keine Angelegenheit der Generalversammlung."},
                               "AdminAssembly", "Refused", board, BOARD, status="200"))
    spec.path(f"{ADMIN}/{{assembly_id}}/results", parameters=[ASSEMBLY], operations=_get(
        "getGeneralAssemblyResults", "Results after voting closed", "AssemblyResults", "Per item", board,
        (401, 403, 404, 422, 502, 503)))
    spec.path(f"{ADMIN}/{{assembly_id}}/attendance", parameters=[ASSEMBLY], operations=_get(
        "getAttendanceList", "Who took part, in the room or online, themself, represented or by proxy (§47)",
        "AssemblyAttendance", "By member number", board, (401, 403, 404, 502, 503)))
