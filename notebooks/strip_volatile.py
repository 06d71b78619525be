"""Removes what changes from run to run in an executed notebook, so a re-run of unchanged data is no diff.

- cell metadata.execution: the iopub/shell timestamps nbconvert records for every cell;
- the .NET Interactive kernel's bootstrap output on the first cell: a script probing the kernel's HTTP port,
  with this machine's addresses and a random cache-buster in it (it is only used by live front ends).
Fails when any cell holds an error output, so a notebook never carries an error into the repository.
Run with the Python interpreter that runs jupyter-nbconvert (Debian: python3-nbformat).
"""
import sys

import nbformat

BOOTSTRAP = "dotnet-interactive-this-cell"


def is_bootstrap(output):
    html = output.get("data", {}).get("text/html", "")
    return output.get("output_type") == "display_data" and BOOTSTRAP in "".join(html)


def strip(path):
    nb = nbformat.read(path, as_version=4)
    errors = []
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.outputs if not is_bootstrap(o)]
        errors += [f"{path}: cell {index}: {o.get('ename')}: {o.get('evalue')}" for o in cell.outputs if o.output_type == "error"]
    nbformat.write(nb, path)
    return errors


if __name__ == "__main__":
    problems = [e for p in sys.argv[1:] for e in strip(p)]
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)
