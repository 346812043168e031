"""Print evaluation results the way the paper's tables read them."""
from collections import OrderedDict
from typing import Dict, Mapping


def group_metrics(metrics: Mapping[str, float]) -> Dict[str, Dict[str, float]]:
    """Split ``'<row>/<column>'`` metric keys into rows of columns.

    mmengine may prefix keys with the metric's name (``'verification/model_easy/accuracy'``);
    the last path element is the column, the rest the row. Keys without a ``/`` go to the
    row ``''``.
    """
    rows: Dict[str, Dict[str, float]] = OrderedDict()
    for key, value in metrics.items():
        row, _, column = key.rpartition('/')
        rows.setdefault(row, OrderedDict())[column] = value
    return rows


def format_results_table(metrics: Mapping[str, float], digits: int = 4) -> str:
    """A plain-text table: one row per pair list / subset, one column per metric.

    Args:
        metrics (Mapping[str, float]): Flat metric dict as returned by ``Runner.test()``.
        digits (int): Decimal places for floats. Defaults to 4.
    """
    rows = group_metrics(metrics)
    columns = list(OrderedDict.fromkeys(c for cols in rows.values() for c in cols))
    header = ['', *columns]
    body = []
    for row, cols in rows.items():
        cells = [row or '-']
        for column in columns:
            value = cols.get(column)
            if value is None:
                cells.append('')
            elif isinstance(value, float):
                cells.append(f'{value:.{digits}f}')
            else:
                cells.append(str(value))
        body.append(cells)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [' | '.join(c.ljust(w) for c, w in zip(header, widths)),
             '-+-'.join('-' * w for w in widths)]
    lines += [' | '.join(c.ljust(w) for c, w in zip(r, widths)) for r in body]
    return '\n'.join(lines)
