"""`kasuhara keys …` and the start-up key checks, run as an operator would."""
from __future__ import annotations

from tests.bot.test_cli import env_ok, run, workdir  # noqa: F401  (fixture)
from storage.keys import estimate_bits, generate


def test_a_weak_key_refuses_to_start_with_the_command_that_makes_a_good_one(workdir):  # noqa: F811
    result = run(["serve"], workdir, **env_ok(KASUHARA_SECRET_KEY="a"))
    assert result.returncode == 2, result.stderr
    assert "KASUHARA_SECRET_KEY is too weak" in result.stderr and "kasuhara keys generate" in result.stderr
    assert "Traceback" not in result.stderr and not (workdir / "kasuhara.db").exists()


def test_a_wrong_key_refuses_to_start_naming_the_variable(workdir):  # noqa: F811
    assert run(["keys", "check"], workdir, **env_ok(KASUHARA_SECRET_KEY=generate())).returncode == 0
    result = run(["serve"], workdir, **env_ok(KASUHARA_SECRET_KEY=generate()))
    assert result.returncode == 2
    assert "KASUHARA_SECRET_KEY is not the key this database was sealed with" in result.stderr
    assert "Traceback" not in result.stderr


def test_generate_then_rotate_then_the_new_key_starts(workdir):  # noqa: F811
    old = run(["keys", "generate"], workdir, **env_ok()).stdout.strip()
    new = generate()
    assert estimate_bits(old) >= 256 and old != new
    assert run(["keys", "check"], workdir, **env_ok(KASUHARA_SECRET_KEY=old)).returncode == 0
    rotated = run(["keys", "rotate"], workdir, **env_ok(KASUHARA_SECRET_KEY=new, KASUHARA_SECRET_KEY_OLD=old))
    assert rotated.returncode == 0, rotated.stderr
    assert "key rotated" in rotated.stdout and "remove KASUHARA_SECRET_KEY_OLD" in rotated.stdout
    assert run(["keys", "check"], workdir, **env_ok(KASUHARA_SECRET_KEY=new)).returncode == 0
    assert run(["keys", "check"], workdir, **env_ok(KASUHARA_SECRET_KEY=old)).returncode == 2
    verified = run(["audit", "verify"], workdir, **env_ok(KASUHARA_SECRET_KEY=new))
    assert verified.returncode == 0, verified.stderr  # the rotation anchored the re-keyed chain
