"""A ledger writer to be killed: appends commitments and nullifiers from four threads and prints
`<log index> <kind> <value>` for every write once it is acknowledged (committed)."""

import sys
import threading
from pathlib import Path

from issuers import issue_retrying, register

from service.ledger import DuplicateRegistration, Ledger, LedgerKey, open_store


def main() -> None:
    url, key_file, tag = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    ledger = Ledger(open_store(url), LedgerKey.load_or_create(key_file), tree_depth=20)
    try:
        register(ledger, "insurer-a")
    except DuplicateRegistration:
        pass
    out = threading.Lock()
    print("ready", flush=True)

    def commitments(thread: int) -> None:
        for i in range(10**9):
            leaf = (tag << 40) + (thread << 32) + i
            (_, index), = issue_retrying(ledger, "insurer-a", [leaf])
            with out:
                print(f"{index} commitment {leaf}", flush=True)

    def nullifiers() -> None:
        for i in range(10**9):
            value = (tag << 40) + i
            index = ledger.use_nullifier(7, value, "hospital-a", bytes(32))
            with out:
                print(f"{index} nullifier {value}", flush=True)

    threads = [threading.Thread(target=commitments, args=(t,), daemon=True) for t in range(3)]
    threads.append(threading.Thread(target=nullifiers, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
