"""docs/sim.md's "The HTML report" shows a command; this runs it word for
word, with build/ and sim/ pointing at this build and this source tree and
its outputs in a scratch directory, and checks what it promises: exit 0,
the JSON report and one page with the heatmap and the CDF."""
import os
import re
import shlex
import subprocess
import sys
import tempfile


def section_blocks(doc, heading):
    text = open(doc).read()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end >= 0 else len(text)]
    return re.findall(r"```sh\n(.*?)```", body, re.S)


def main():
    sim_binary, source = sys.argv[1], sys.argv[2]
    blocks = section_blocks(os.path.join(source, "docs", "sim.md"),
                            "The HTML report")
    if not blocks:
        sys.exit("docs/sim.md: no sh block in The HTML report")
    with tempfile.TemporaryDirectory(prefix="meshbeat-doc-html-") as tmp:
        for block in blocks:
            for line in block.strip().splitlines():
                argv = shlex.split(line)
                if argv[0] != "build/sim/meshbeat-sim":
                    sys.exit(f"docs/sim.md: unexpected command {line!r}")
                argv[0] = sim_binary
                argv = [os.path.join(source, a) if a.startswith("sim/") else a
                        for a in argv]
                got = subprocess.run(argv, cwd=tmp, capture_output=True,
                                     text=True, timeout=300)
                if got.returncode != 0:
                    sys.exit(f"{line!r} exited {got.returncode}: "
                             f"{got.stderr}{got.stdout[-2000:]}")
                html = argv[argv.index("--html") + 1]
                page = open(os.path.join(tmp, html)).read()
                for part in ('class="hm-row"', 'class="cdf-point', "<svg"):
                    if part not in page:
                        sys.exit(f"{html}: no {part}")
                report = argv[argv.index("--report") + 1]
                if not os.path.getsize(os.path.join(tmp, report)):
                    sys.exit(f"{report}: empty")
                print(f"ran {line!r}: {html} {len(page)} bytes")


if __name__ == "__main__":
    main()
