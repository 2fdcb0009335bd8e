"""Test session set-up shared by every test.

Each pytest session gets its own SEALDESK_HOME (a temp dir), hence its own SoftHSM store; the SoftHSM
config is fixed before any PKCS#11 module is loaded in this process (SoftHSM reads it only at load time).
The suite runs in the language of SEALDESK_LANG (English when unset); `make test` runs it in zh_CN and in
English, so a test that compares messages must compare against `translate(context, source)`, or pin the
language for itself when it checks English wording on purpose.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asn1crypto.tsp  # noqa: F401 - names 'tst_info' before any test builds ContentType's name→OID map
import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="sealdesk-test-"))
os.environ["SEALDESK_HOME"] = str(_SESSION_HOME)
os.environ.pop("SOFTHSM2_CONF", None)
os.environ.setdefault("SEALDESK_LANG", "en")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.core import softhsm  # noqa: E402

softhsm.ensure_config()

from testdata import INTEROP_DIR, SO_PIN, USER_PIN  # noqa: E402


def pytest_report_header(config: pytest.Config) -> str:
    return f"SEALDESK_LANG={os.environ['SEALDESK_LANG']}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def softhsm_module() -> str:
    path = softhsm.module_path()
    if path is None:
        pytest.fail("SoftHSM is not installed (apt-get install softhsm2); `make test` installs it")
    return path


@pytest.fixture
def fresh_token(softhsm_module: str) -> Iterator[str]:
    """A new, empty SoftHSM token (user PIN 123456, SO PIN 12345678); yields its label."""
    label = f"T{uuid.uuid4().hex[:12]}"
    softhsm.init_token(label, USER_PIN, SO_PIN)
    yield label
    if label in softhsm.token_labels():
        softhsm.delete_token(label)


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    return INTEROP_DIR


@pytest.fixture(scope="session")
def demo_key(softhsm_module: str):
    """The demo key, provisioned once per test session exactly as `sealdesk demo-key` does."""
    from app.core import demo

    return demo.create_demo_key(force=True)


@pytest.fixture(autouse=True)
def _demo_key_chain_heads_cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    """The demo key lives for the whole session, but each test has its own usage log: the usage-log chain
    heads a test's stampings leave on the key would make the next test's new log look rewound (and its
    records continue after the head). So a test that uses the demo key starts and ends without them
    (before too: a test that reached the demo token another way may have left one)."""
    uses_demo_key = "demo_key" in request.fixturenames
    if uses_demo_key:
        _clear_demo_chain_heads()
    yield
    if uses_demo_key:
        _clear_demo_chain_heads()


def _clear_demo_chain_heads() -> None:
    from app.core import demo
    from app.core.errors import NoTokenPresent, TokenNotFound
    from app.core.keys import TokenManager
    from app.core.usage.chain_head import HEAD_APPLICATION

    manager = TokenManager(extra_modules=[softhsm.module_path()], use_catalog=False)
    try:
        token = manager.find_token(label=demo.DEMO_LABEL)
        with manager.open_session(token, demo.DEMO_PIN) as opened:
            opened.delete_data(HEAD_APPLICATION)
    except (NoTokenPresent, TokenNotFound):
        pass  # the test removed or replaced the demo key: nothing to clear
    finally:
        manager.close()


@pytest.fixture(scope="module")
def ca():
    """A software root CA (tests/pdf_helpers.py), fresh per test module."""
    from pdf_helpers import SoftwareCA

    return SoftwareCA.create()


@pytest.fixture(scope="module")
def issued(ca):
    """An EC P-256 signing certificate from `ca`."""
    return ca.issue("张三", key_type="ec")


@pytest.fixture(scope="module")
def signer(issued):
    """A software DigestSigner over `issued` (the token-less twin of TokenDigestSigner)."""
    from pdf_helpers import SoftwareDigestSigner

    return SoftwareDigestSigner.from_issued(issued)


@pytest.fixture(autouse=True)
def _language_chosen_per_test() -> Iterator[None]:
    """A test that chooses a language (settings, the GUI's language switch) must not leak it to the next."""
    from app.i18n import set_language

    yield
    set_language(None)


@pytest.fixture
def demo_app(demo_key, tmp_path: Path):
    """An Application over the demo key trusting the demo root, with a usage log of its own in tmp_path."""
    from app import i18n
    from app.core.application import Application
    from app.core.settings import Settings
    from app.core.usage.log import UsageLog

    log = UsageLog(tmp_path / "usage.sqlite3")
    application = Application(Settings(trust_roots=(str(demo_key.root_cert_path),)), usage_log=log)
    yield application
    application.close()
    log.close()
    i18n.set_language("")


@pytest.fixture
def manager(softhsm_module: str) -> Iterator:
    """A key manager that loads only SoftHSM (no catalog), closed after the test."""
    from app.core.keys import TokenManager

    mgr = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    yield mgr
    mgr.close()


@pytest.fixture(scope="module")
def session(demo_key, softhsm_module) -> Iterator:
    """A logged-in session on the demo key, shared by one test module."""
    from app.core import demo
    from app.core.keys import TokenManager

    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    token = manager.find_token(label=demo.DEMO_LABEL)
    with manager.open_session(token, demo.DEMO_PIN) as opened:
        yield opened
    manager.close()
