"""One warm "Lambda instance": imports one function's handler and serves invocations.

Started by the runner as `python -m local.worker <code dir> <handler>`, with the
function's own environment. Protocol: one JSON request per line on stdin, one
JSON answer per line on the original stdout; everything the handler prints or
logs goes to stderr (the runner's log).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import traceback
import uuid
from pathlib import Path
from typing import Any


class LambdaContext:
    def __init__(self, name: str, memory: int, timeout: int, request_id: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _set_clock(offset: float) -> None:
    """The runner's clock (`PUT /_local/clock`): `helpdesk.clock.now()` shifted by `offset`
    seconds, in this process only (the handler imported the layer; the runner sends the
    offset with every invocation)."""
    clock = sys.modules.get("helpdesk.clock")
    if clock is not None:
        clock.set_offset(offset)


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr
    code_dir, handler, name, memory, timeout = sys.argv[1:6]
    sys.path.insert(0, code_dir)
    module_name, func_name = handler.rsplit(".", 1)
    started = time.perf_counter()
    try:
        spec = importlib.util.spec_from_file_location(
            module_name, Path(code_dir) / f"{module_name}.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        fn = getattr(module, func_name)
    except Exception:
        traceback.print_exc()
        out.write(json.dumps({"ready": False}) + "\n")
        out.flush()
        sys.exit(1)
    init_ms = (time.perf_counter() - started) * 1000
    out.write(json.dumps({"ready": True, "init_ms": init_ms}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        ctx = LambdaContext(
            name, int(memory), int(timeout), request.get("request_id") or str(uuid.uuid4())
        )
        _set_clock(float(request.get("clock_offset") or 0))
        answer: dict[str, Any]
        try:
            answer = {"result": fn(request["event"], ctx)}
        except Exception as ex:
            traceback.print_exc()
            answer = {"error": type(ex).__name__}
        out.write(json.dumps(answer, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
