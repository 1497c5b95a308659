"""Local identity provider: a development signing key, its JWKS, and minted tokens.

The runner serves the JWKS; the authorizer verifies tokens against it with the
same code it runs against Cognito. `make token USER=alice ROLE=agent ORG=acme`
prints a token (alone on its last line).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.template import ROOT

ISSUER = "https://helpdesk.local/dev"
AUDIENCE = "helpdesk-local"
KID = "helpdesk-dev-1"


def state_dir() -> Path:
    path = Path(os.environ.get("HELPDESK_LOCAL_DIR", ROOT / ".local"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=4)
def _key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return key


def signing_key() -> rsa.RSAPrivateKey:
    return _key(state_dir() / "dev-signing-key.pem")


def jwks() -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key().public_key()))
    jwk |= {"kid": KID, "use": "sig", "alg": "RS256"}
    return {"keys": [jwk]}


def mint(
    user: str,
    role: str = "customer",
    org: str | None = None,
    *,
    name: str | None = None,
    email: str | None = None,
    ttl: int = 12 * 3600,
    key: rsa.RSAPrivateKey | None = None,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    now: int | None = None,
) -> str:
    """A signed ID-token-like JWT for `user` with comma-separated `role`s."""
    iat = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": user,
        "iat": iat,
        "exp": iat + ttl,
        "name": name or user.capitalize(),
        "email": email or f"{user}@example.com",
        "roles": [r.strip() for r in role.split(",") if r.strip()],
    }
    if org:
        claims["org_id"] = org
    return jwt.encode(claims, key or signing_key(), algorithm="RS256", headers={"kid": KID})


def main() -> None:
    parser = argparse.ArgumentParser(description="Mint a local development bearer token")
    parser.add_argument("--user", default="alice")
    parser.add_argument(
        "--role", default="customer", help="customer, org_manager, agent, admin (comma list)"
    )
    parser.add_argument("--org", default=None)
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    args = parser.parse_args()
    token = mint(args.user, args.role, args.org, ttl=args.ttl)
    print(
        f"# token for user={args.user} roles={args.role} org={args.org or '-'} (valid {args.ttl}s)"
    )
    print('# use: curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/me')
    print(token)


if __name__ == "__main__":
    main()
