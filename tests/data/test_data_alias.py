"""chainrule.utils.data is torch.utils.data's path to the same objects as chainrule.data."""

import chainrule
import chainrule.data
from chainrule.utils import data as utils_data


def test_alias_objects_are_identical():
    for name in chainrule.data.__all__:
        assert getattr(utils_data, name) is getattr(chainrule.data, name), name
    assert chainrule.utils.data.DataLoader is chainrule.data.DataLoader


def test_d2l_load_array_runs():
    # d2l's helper, verbatim apart from the import
    from chainrule.utils import data

    def load_array(data_arrays, batch_size, is_train=True):
        dataset = data.TensorDataset(*data_arrays)
        return data.DataLoader(dataset, batch_size, shuffle=is_train)

    X, y = chainrule.randn(30, 2), chainrule.randn(30, 1)
    batches = list(load_array((X, y), 10))
    assert [tuple(b[0].shape) for b in batches] == [(10, 2)] * 3
    assert sorted(chainrule.cat([b[1] for b in batches]).flatten().tolist()) == sorted(
        y.flatten().tolist()
    )
