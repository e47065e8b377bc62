"""Secrets the engine must read back (webhook signing secrets), encrypted at rest.

Unlike API keys or passwords, a webhook secret cannot be stored as a hash: every delivery is signed with
it. So it is stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the maintained `cryptography`
package), under a key from the environment:

- `IE_SECRETS__KEY`: the current key, 32 url-safe base64-encoded bytes as `Fernet.generate_key()` makes
  them (docs/deploy.md shows the command). New values are encrypted with it.
- `IE_SECRETS__OLD_KEYS`: comma-separated keys still accepted for reading during a rotation. At start-up
  (`Database.migrate`) every value not yet under the current key is re-encrypted with it; once that has
  run, the old keys can be dropped.

With no key configured (the embedded default), a key is generated once and kept in `secrets.key` beside
the SQLite database file (the data dir), readable by its owner only, with a warning logged once: the
database file alone (a copied backup, a leaked disk image) then holds no usable secret. Engines sharing a
PostgreSQL database must all be given the same `IE_SECRETS__KEY`.

The column type `EncryptedString` encrypts on write and decrypts on read, so the rest of the code only
ever sees plain secrets; it finds the keys through the engine's dialect (`attach`), which keeps two
databases in one process (tests, the CLI) apart.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Connection, LargeBinary, String, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from config.settings import Settings

__all__ = [
    "ENCRYPTED_COLUMNS",
    "KEY_FILE",
    "EncryptedBytes",
    "EncryptedString",
    "SecretBox",
    "SecretKeyError",
    "attach",
    "box_of",
    "default_box",
    "load_box",
    "reencrypt",
    "settings_box",
]

logger = logging.getLogger(__name__)
KEY_FILE = "secrets.key"
# Every encrypted column, for the start-up re-encryption: (table, primary key, columns). The stored
# idempotent responses hold what a POST answered: a new webhook secret, participants' details.
ENCRYPTED_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("webhook_endpoints", "id", ("secret", "previous_secret")),
    ("idempotency_keys", "id", ("body",)),
    # The link tokens' encrypted copies (engine/link_tokens.py): join and public URLs are shown again.
    ("sessions", "id", ("join_token_encrypted",)),
    ("templates", "id", ("public_token_encrypted",)),
    # A public-link sign-up's one-time token, held only until its verification email has gone out.
    ("public_link_sign_ups", "id", ("sealed_token",)),
)
_warned: set[Path] = set()


class SecretKeyError(RuntimeError):
    """A stored secret cannot be decrypted with any configured key (a wrong or missing IE_SECRETS__KEY)."""


class SecretBox:
    """Encrypts with the first key, decrypts with any (Fernet's documented rotation, MultiFernet)."""

    def __init__(self, keys: Sequence[bytes | str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        try:
            self._fernets = [Fernet(k) for k in keys]
        except ValueError as exc:  # the key itself is never in the message
            raise ValueError("a secrets key must be 32 url-safe base64-encoded bytes") from exc
        self._multi = MultiFernet(self._fernets)

    @property
    def rotating(self) -> bool:
        """Whether old keys are configured, so values may need re-encrypting."""
        return len(self._fernets) > 1

    def encrypt(self, plain: str) -> str:
        return self._multi.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self.decrypt_bytes(token.encode("ascii")).decode()
        except UnicodeError as exc:
            raise SecretKeyError("a stored secret is not a Fernet token") from exc

    def encrypt_bytes(self, plain: bytes) -> bytes:
        return self._multi.encrypt(plain)

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._multi.decrypt(token)
        except InvalidToken as exc:
            raise SecretKeyError(
                "a stored secret cannot be decrypted with the configured keys: is IE_SECRETS__KEY (or "
                "IE_SECRETS__OLD_KEYS) the key it was encrypted with?"
            ) from exc

    def is_current(self, token: str | bytes) -> bool:
        """Encrypted with the current (first) key."""
        try:
            self._fernets[0].decrypt(token.encode("ascii") if isinstance(token, str) else token)
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same value encrypted with the current key."""
        return self.encrypt(self.decrypt(token))

    def rotate_bytes(self, token: bytes) -> bytes:
        return self.encrypt_bytes(self.decrypt_bytes(token))


def _key_file(path: Path) -> bytes:
    """The key in `path`, made (owner-only) if there is none. Written to a temporary file and linked into
    place, so two processes starting at once never read a half-written key; the loser reads the
    winner's."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, Fernet.generate_key() + b"\n")
    finally:
        os.close(fd)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return path.read_bytes().strip()


def load_box(
    key: str | None, old_keys: str | None, database_url: str, data_dir: Path, key_file: Path | None = None
) -> SecretBox:
    """The keys from the settings; without one, the generated key of this install (see the module doc)."""
    olds = [k.strip() for k in (old_keys or "").split(",") if k.strip()]
    if key and key.strip():
        return SecretBox([key.strip(), *olds])
    url = make_url(database_url)
    if key_file is None:
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            # An in-memory database dies with the process: so may its key.
            return SecretBox([Fernet.generate_key(), *olds])
        if url.get_backend_name() == "sqlite" and url.database:
            key_file = Path(url.database).resolve().parent / KEY_FILE
        else:
            key_file = data_dir.resolve() / KEY_FILE
    if key_file not in _warned:
        _warned.add(key_file)
        logger.warning(
            "IE_SECRETS__KEY is not set: webhook secrets are encrypted with the key in %s (made on first "
            "use, owner-only). Keep it with the database; engines sharing a database need one IE_SECRETS__KEY",
            key_file,
        )
    return SecretBox([_key_file(key_file), *olds])


def settings_box(settings: Settings, database_url: str | None = None) -> SecretBox:
    """The box of these settings' keys (`secrets.*`) for their database (or `database_url`). The engine
    passes it to every `Database` it opens, so the settings it was given decide the key, never an
    environment variable read again behind them."""
    secrets = settings.secrets
    return load_box(
        secrets.key.get_secret_value() if secrets.key else None,
        secrets.old_keys.get_secret_value() if secrets.old_keys else None,
        database_url or settings.resolved_database_url,
        settings.data_dir,
        secrets.key_file,
    )


def default_box(database_url: str) -> SecretBox:
    """The box for a database opened without one (tests, tools): the keys the environment's settings
    name."""
    from config.settings import Settings  # late: config.settings is heavy and this is rarely needed

    return settings_box(Settings(), database_url)


_boxes: weakref.WeakKeyDictionary[Dialect, SecretBox] = weakref.WeakKeyDictionary()


def attach(dialect: Dialect, box: SecretBox) -> None:
    """Use `box` for the encrypted columns of the engine this dialect belongs to (one dialect per engine)."""
    _boxes[dialect] = box


def box_of(dialect: Dialect) -> SecretBox:
    box = _boxes.get(dialect)
    if box is None:
        raise RuntimeError("no secret box attached to this engine: open it through engine.store.Database")
    return box


class EncryptedString(TypeDecorator[str]):
    """A string stored as a Fernet token (about 3.3x the plain length: size the column for that)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else box_of(dialect).encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else box_of(dialect).decrypt(str(value))


class EncryptedBytes(TypeDecorator[bytes]):
    """Bytes stored as a Fernet token (about 1.33x the plain length, plus about 76 bytes)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else box_of(dialect).encrypt_bytes(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else box_of(dialect).decrypt_bytes(bytes(value))


def _plain_type(value: Any) -> str | bytes:
    # Drivers hand binary columns back as bytes, memoryview (asyncpg) or similar.
    return value if isinstance(value, str) else bytes(value)


def _rotated(box: SecretBox, value: str | bytes) -> str | bytes:
    return box.rotate(value) if isinstance(value, str) else box.rotate_bytes(value)


def reencrypt(connection: Connection, box: SecretBox) -> int:
    """Re-encrypt every value not under the current key; returns how many rows changed. Values are read
    and written as stored text (never through the column type), and are never logged."""
    changed = 0
    for table, pk, columns in ENCRYPTED_COLUMNS:
        listed = ", ".join(columns)
        rows = connection.execute(text(f"SELECT {pk}, {listed} FROM {table}")).all()  # noqa: S608 - names from the constant above
        for row in rows:
            values = {c: _plain_type(v) for c, v in zip(columns, row[1:], strict=True) if v is not None}
            stale = {c: v for c, v in values.items() if not box.is_current(v)}
            if not stale:
                continue
            assignments = ", ".join(f"{c} = :{c}" for c in stale)
            connection.execute(
                text(f"UPDATE {table} SET {assignments} WHERE {pk} = :pk"),  # noqa: S608 - names as above
                {**{c: _rotated(box, v) for c, v in stale.items()}, "pk": row[0]},
            )
            changed += 1
    if changed:
        logger.info("re-encrypted %s rows with the current secrets key", changed)
    return changed
