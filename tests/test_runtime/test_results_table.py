from eianet_mm.utils.results_table import format_results_table, group_metrics


def test_group_metrics_splits_on_last_slash():
    rows = group_metrics({'verification/model_easy/accuracy': 0.9,
                          'verification/model_easy/auc': 0.95,
                          'verification/year_hard[front / side]/auc': 0.6,
                          'reid/R1': 0.8, 'plain': 1})
    assert rows == {'verification/model_easy': {'accuracy': 0.9, 'auc': 0.95},
                    'verification/year_hard[front / side]': {'auc': 0.6},
                    'reid': {'R1': 0.8}, '': {'plain': 1}}


def test_format_results_table_aligns_rows_and_columns():
    text = format_results_table({'model_easy/accuracy': 0.91234, 'model_hard/accuracy': 0.8,
                                 'model_hard/auc': 0.85})
    lines = text.splitlines()
    assert lines[0].split('|')[1].strip() == 'accuracy'
    assert lines[2].startswith('model_easy') and '0.9123' in lines[2]
    assert lines[2].rstrip().endswith('|')  # missing auc cell left empty
    assert '0.8500' in lines[3]
    assert len({len(line) for line in lines[:2]}) == 1
