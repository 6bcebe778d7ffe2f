"""Read many accounts in one run: an organisation's, or those listed in a file.

With ``--accounts all`` the organisation's active accounts come from Organizations
``ListAccounts`` (the management account or a delegated administrator may call it); with
``--accounts FILE`` from a file. In each account the tool assumes ``--role-name`` (STS
``AssumeRole``) and reads every region with the live collector (``assistant.sources.live``),
Describe/Get/List calls only. Accounts are read concurrently, at most ``ACCOUNTS_AT_ONCE`` at a
time (each reads its regions with the collector's own bounded pool), with botocore's adaptive
retry mode so that throttling slows the sending down instead of failing the reads.

An account whose role cannot be assumed, or whose reads stop (expired credentials, every read
denied), is one "not checked" line for that account; the others are read. The snapshots of
the accounts read are combined into one, so paths between accounts (a transit gateway shared
through RAM, a peering connection between two of them) are traced across them.

The accounts file: one 12-digit account id per line (``#`` starts a comment; anything after
the id on the line is its name), or JSON: a list of ids, a list of objects with ``Id``, or
what ``aws organizations list-accounts`` prints (``{"Accounts": [...]}``; accounts whose
``Status`` is not ``ACTIVE`` are skipped).
"""

from __future__ import annotations

import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import UserError
from assistant.models.registry import Row
from assistant.sources.live import LiveError, live_source

if TYPE_CHECKING:  # pragma: no cover
    from assistant.models.finding import Diagnosis
    from assistant.models.snapshot import Snapshot

ACCOUNTS_AT_ONCE = 6
# The two calls made with the caller's own credentials (besides GetCallerIdentity).
LIST_ACCOUNTS = Row(
    "Accounts", (), "organizations", "ListAccounts", "Accounts", "Id", "accounts", ""
)
ASSUME_ROLE = Row("Credentials", (), "sts", "AssumeRole", "Credentials", None, "role", "")
SESSION_NAME = "vpc-helper"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^(?:/[\w+=,.@-]+)*/?[\w+=,.@-]{1,64}$")


@dataclass
class Account:
    """An account to read: its id and (when known) its name."""

    id: str
    name: str = ""


@dataclass
class Tally:
    """What the progress display shows: accounts done of all, requests sent, errors seen."""

    total: int = 0
    done: int = 0
    requests: int = 0
    errors: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **by: int) -> None:
        with self.lock:
            for k, v in by.items():
                setattr(self, k, getattr(self, k) + v)


# -- which accounts ----------------------------------------------------------------------


def role_arn(account: str, role_name: str, partition: str = "aws") -> str:
    """The ARN of ``role_name`` (a name, or a path and name) in ``account``."""
    return f"arn:{partition}:iam::{account}:role/{role_name.strip('/')}"


def check_role_name(role_name: str | None) -> str:
    """``role_name`` when it is a valid IAM role name (optionally with a path), else an error."""
    if not role_name:
        raise UserError("--accounts needs --role-name NAME: the role to assume in each account")
    if not _ROLE_NAME.match(role_name):
        raise UserError(
            f"--role-name {role_name!r} is not an IAM role name (letters, digits and +=,.@_-, "
            "up to 64 characters, optionally after a path like /audit/)"
        )
    return role_name


def read_accounts_file(path: str | Path) -> list[Account]:
    """The accounts listed in ``path`` (the formats are in the module's docstring)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"accounts file {p} not found (or pass --accounts all)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(
            f"cannot read accounts file {p}: {getattr(e, 'strerror', None) or e}"
        ) from None
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        out = _accounts_json(p, stripped)
    else:
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            words = line.split("#", 1)[0].split(None, 1)
            if not words:
                continue
            if not _ACCOUNT_ID.match(words[0]):
                raise UserError(
                    f"{p} line {n}: {words[0][:40]!r} is not a 12-digit account id "
                    "(one account id per line, optionally followed by its name)"
                )
            out.append(Account(words[0], words[1].strip() if len(words) > 1 else ""))
    out = list({a.id: a for a in out}.values())
    if not out:
        raise UserError(f"accounts file {p} lists no account")
    return out


def _accounts_json(p: Path, text: str) -> list[Account]:
    import orjson

    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise UserError(f"accounts file {p} is not valid JSON ({e})") from None
    items = doc.get("Accounts") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise UserError(
            f"accounts file {p}: expected a list of account ids, or the output of "
            '`aws organizations list-accounts` ({"Accounts": [...]})'
        )
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            if _status(item) not in ("ACTIVE", None):
                continue
            acct, name = str(item.get("Id", "")), str(item.get("Name") or "")
        else:
            acct, name = str(item), ""
        if not _ACCOUNT_ID.match(acct):
            raise UserError(f"accounts file {p}: item {i + 1} ({acct[:40]!r}) is not an account id")
        out.append(Account(acct, name))
    return out


def _status(item: dict[str, Any]) -> str | None:
    """An account's status: ``State`` (newer API) or ``Status``; None when neither is given."""
    s = item.get("State") or item.get("Status")
    return str(s).upper() if s else None


def list_organisation(
    session: Any, endpoint_url: str | None, region: str = "us-east-1"
) -> list[Account]:
    """The organisation's active accounts (Organizations ``ListAccounts``; its endpoint is
    global per partition, resolved from ``region``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from assistant.sources.live import _client, error_code, stops_the_run, user_error

    client = _client(session, "organizations", region, endpoint_url, "adaptive")
    out: list[Account] = []
    try:
        for page in client.get_paginator("list_accounts").paginate():
            for a in page.get("Accounts", []):
                if _status(a) in ("ACTIVE", None):
                    out.append(Account(str(a["Id"]), str(a.get("Name") or "")))
    except (BotoCoreError, ClientError) as e:
        code = error_code(e)
        if code == "AWSOrganizationsNotInUseException":
            raise LiveError(
                "this account is not in an organisation: list the accounts in a file and pass "
                "--accounts FILE"
            ) from None
        if code in ("AccessDeniedException", "AccessDenied"):
            raise LiveError(
                "Organizations ListAccounts was denied: run from the management account or a "
                "delegated administrator with organizations:ListAccounts (see `vpc-helper "
                "iam-policy --accounts`), or pass --accounts FILE"
            ) from None
        if stops_the_run(e) or isinstance(e, ClientError):
            raise user_error(e, LIST_ACCOUNTS, region, client.meta.endpoint_url) from None
        raise LiveError(f"Organizations ListAccounts failed: {e}") from None
    if not out:
        raise LiveError("the organisation lists no active account")
    return out


# -- reading them ------------------------------------------------------------------------


class _AssumedSession:
    """The caller's session with an assumed role's credentials: clients share its loaded
    service models (a new session per account would load them again)."""

    def __init__(self, base: Any, creds: dict[str, Any], lock: threading.Lock, regions: list[str]):
        self._base, self._creds, self._lock = base, creds, lock
        self._regions = regions  # the caller's regions, already checked
        self.region_name = base.region_name

    def get_available_partitions(self) -> list[str]:
        return ["aws"]

    def get_available_regions(self, *args: Any, **kwargs: Any) -> list[str]:
        return self._regions

    def client(self, service: str, **kwargs: Any) -> Any:
        with self._lock:  # a boto3 session is not safe to create clients from concurrently
            return self._base.client(
                service,
                aws_access_key_id=self._creds["AccessKeyId"],
                aws_secret_access_key=self._creds["SecretAccessKey"],
                aws_session_token=self._creds["SessionToken"],
                **kwargs,
            )


@dataclass
class _Result:
    account: Account
    snapshot: Snapshot | None = None
    reason: str | None = None
    action: str | None = None


def collect_accounts(
    accounts: str,
    role_name: str,
    profile: str | None = None,
    regions: list[str | None] | None = None,
    endpoint_url: str | None = None,
    vpc_ids: list[str] | None = None,
    show_progress: bool | None = None,
    at_once: int = ACCOUNTS_AT_ONCE,
    tally: Tally | None = None,
) -> Snapshot:
    """Read every account (``"all"``: the organisation's; else an accounts file) into one
    snapshot, assuming ``role_name`` in each. ``show_progress``: None means on a terminal;
    ``tally`` (optional) is filled with the counts the display shows."""
    from assistant.sources import live

    role_name = check_role_name(role_name)
    listed = None if accounts == "all" else read_accounts_file(accounts)
    session = live.make_session(profile)
    names = list(dict.fromkeys(live._resolve_region(session, r) for r in (regions or [None])))
    tally = tally if tally is not None else Tally()
    _count_requests(session, tally)
    sts = live._client(session, "sts", names[0], endpoint_url, "adaptive")
    try:
        caller = sts.get_caller_identity()
    except Exception as e:  # noqa: BLE001 - turned into a message
        raise live.user_error(e, live.ACCOUNT, names[0], sts.meta.endpoint_url) from None
    partition = str(caller.get("Arn", "arn:aws:")).split(":")[1] or "aws"
    todo = listed if listed is not None else list_organisation(session, endpoint_url, names[0])
    tally.total = len(todo)
    lock = threading.Lock()
    known = list(names)

    def read(acct: Account) -> _Result:
        arn = role_arn(acct.id, role_name, partition)
        try:
            creds = sts.assume_role(RoleArn=arn, RoleSessionName=SESSION_NAME)["Credentials"]
        except Exception as e:  # noqa: BLE001 - the account is not checked, the run goes on
            denied = live._denied(e)
            return _Result(
                acct,
                reason=f"could not assume {arn}: {live.error_code(e)}"
                + (f" ({_message(e)})" if _message(e) else ""),
                action="sts:AssumeRole" if denied else None,
            )
        try:
            snap = live.collect(
                regions=list(names),
                endpoint_url=endpoint_url,
                vpc_ids=vpc_ids,
                session=_AssumedSession(session, creds, lock, known),  # type: ignore[arg-type]
                retry_mode="adaptive",
                account=acct.id,
            )
        except UserError as e:
            return _Result(acct, reason=f"reading stopped: {e}")
        except Exception as e:  # noqa: BLE001 - anything else: this account, not the run
            return _Result(acct, reason=f"reading stopped: {type(e).__name__}: {e}")
        return _Result(acct, snapshot=snap)

    results: dict[str, _Result] = {}
    with _Display(tally, show_progress) as display:
        pool = ThreadPoolExecutor(max_workers=max(1, at_once), thread_name_prefix="vpc-helper-acct")
        clean = False
        try:
            futures = [pool.submit(read, a) for a in todo]
            for fut in as_completed(futures):
                r = fut.result()
                results[r.account.id] = r
                tally.add(done=1, failed=int(r.snapshot is None))
                display.update()
            clean = True
        finally:
            pool.shutdown(wait=clean, cancel_futures=True)
    ordered = [results[a.id] for a in todo]
    if all(r.snapshot is None for r in ordered):
        first = ordered[0]
        raise LiveError(
            f"no account could be read ({len(ordered)} tried); e.g. account {first.account.id}: "
            f"{first.reason}"
        )
    out = combine(ordered, names)
    out.source = live_source(
        names, profile, endpoint_url, f"{len(ordered)} accounts (role {role_name})"
    )
    return out


def _message(err: Exception) -> str:
    resp = getattr(err, "response", None)
    return str(resp.get("Error", {}).get("Message", "")) if isinstance(resp, dict) else ""


def _count_requests(session: Any, tally: Tally) -> None:
    """Count every HTTP request (retries too) and every error answer, for the display."""

    def sent(**_: Any) -> None:
        tally.add(requests=1)

    def received(exception: Exception | None = None, response_dict: Any = None, **_: Any) -> None:
        status = (response_dict or {}).get("status_code", 200)
        if exception is not None or status >= 400:
            tally.add(errors=1)

    session.events.register("before-send", sent)
    session.events.register("response-received", received)


def combine(results: list[_Result], regions: list[str]) -> Snapshot:
    """One snapshot of the accounts read (resources keyed by id: a shared transit gateway or a
    peering connection seen from both sides is one resource), with a not-checked line for each
    account not read and each read that failed inside an account."""
    from assistant.models.registry import ID_KEYS
    from assistant.models.snapshot import COLLECTIONS, AccountRead, NotChecked, Snapshot

    snaps = [r.snapshot for r in results if r.snapshot is not None]
    out = Snapshot()
    for coll in COLLECTIONS:
        if isinstance(getattr(out, coll), dict):
            merged: dict[str, Any] = {}
            for s in snaps:
                merged.update(getattr(s, coll))
            setattr(out, coll, merged)
            continue
        key = ID_KEYS[coll]
        items: dict[Any, Any] = {}
        for s in snaps:
            for x in getattr(s, coll):
                items[getattr(x, key, None) or id(x)] = x
        setattr(out, coll, list(items.values()))
    # A collection counts as read only where every account read it: a rule needing one that
    # an account could not read is not evaluated (never an all-clear from missing data).
    out.provided = [c for c in snaps[0].provided if all(c in s.provided for s in snaps)]
    for r in results:
        if r.snapshot is None:
            out.not_checked.append(
                NotChecked(what=f"account {r.account.id}", reason=r.reason or "", action=r.action)
            )
            out.accounts.append(
                AccountRead(
                    Id=r.account.id, Name=r.account.name, status="not checked", reason=r.reason
                )
            )
            continue
        for nc in r.snapshot.not_checked:
            out.not_checked.append(
                nc.model_copy(update={"reason": f"account {r.account.id}: {nc.reason}"})
            )
        out.accounts.append(AccountRead(Id=r.account.id, Name=r.account.name))
    out.account_id = None if len(results) > 1 else results[0].account.id
    out.region = ",".join(regions)
    out.regions = sorted(regions)
    out.collected_at = max((s.collected_at or "" for s in snaps), default=None) or None
    return out


# -- the report --------------------------------------------------------------------------


def annotate(d: Diagnosis, snapshot: Snapshot) -> Diagnosis:
    """Give each finding its account and the diagnosis one summary per account (when the
    snapshot comes from several accounts)."""
    from assistant.models.finding import AccountSummary
    from assistant.models.registry import ID_KEYS
    from assistant.models.snapshot import COLLECTIONS

    if not snapshot.accounts:
        return d
    owner: dict[str, str] = {}
    for coll in COLLECTIONS:
        items = getattr(snapshot, coll)
        if not isinstance(items, list):
            continue
        key = ID_KEYS[coll]
        for x in items:
            acct, rid = getattr(x, "account", None), getattr(x, key, None)
            if acct and isinstance(rid, str):
                owner.setdefault(rid, acct)
    vpcs_of: dict[str, int] = {}
    for v in snapshot.Vpcs:
        if v.account:
            vpcs_of[v.account] = vpcs_of.get(v.account, 0) + 1
    for f in d.findings:
        f.account = next(
            (owner[r] for r in [*f.resources, f.vpc_id or ""] if r in owner),
            None,
        )
    counts: dict[str, dict[str, int]] = {}
    for f in d.findings:
        c = counts.setdefault(f.account or "", {})
        c[f.severity.value] = c.get(f.severity.value, 0) + 1
    d.accounts = [
        AccountSummary(
            account=a.Id,
            name=a.Name,
            status=a.status,
            reason=a.reason,
            vpcs=vpcs_of.get(a.Id, 0),
            counts=counts.get(a.Id, {}),
        )
        for a in snapshot.accounts
    ]
    return d


def not_checked_accounts(d: Diagnosis) -> list[str]:
    """The accounts of the diagnosis that could not be read."""
    return [a.account for a in d.accounts if a.status != "read"]


# -- the progress display ----------------------------------------------------------------


class _Display:
    """Accounts done / total, requests and errors on stderr, only when it is a terminal
    (``rich``, imported only then)."""

    def __init__(self, tally: Tally, show: bool | None):
        self.tally = tally
        self.show = sys.stderr.isatty() if show is None else show
        self.progress: Any = None
        self.task: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> _Display:
        if not self.show:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("reading accounts"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[requests]} requests, {task.fields[errors]} errors"),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "accounts", total=self.tally.total or None, requests=0, errors=0
        )
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            self.update()

    def update(self) -> None:
        if self.progress is None:
            return
        t = self.tally
        self.progress.update(
            self.task, total=t.total or None, completed=t.done, requests=t.requests, errors=t.errors
        )

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self.progress is not None:
            self.update()
            self.progress.stop()


# -- permissions -------------------------------------------------------------------------


def iam_policies(role_name: str | None = None) -> dict[str, Any]:
    """The two policies of an organisation-wide read: the member role's (the read-only
    policy, in each account) and the caller's (assume that role, list the accounts)."""
    from assistant.models.registry import iam_policy

    name = check_role_name(role_name).strip("/") if role_name else "ROLE_NAME"
    return {
        "MemberRolePolicy": iam_policy(),
        "CallerPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "VpcHelperAssumeMemberRole",
                    "Effect": "Allow",
                    "Action": [f"sts:{ASSUME_ROLE.operation}"],
                    "Resource": f"arn:aws:iam::*:role/{name}",
                },
                {
                    "Sid": "VpcHelperListAccounts",
                    "Effect": "Allow",
                    "Action": [f"organizations:{LIST_ACCOUNTS.operation}"],
                    "Resource": "*",
                },
            ],
        },
    }
