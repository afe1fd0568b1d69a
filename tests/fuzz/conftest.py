"""Prints the fuzz test's summary (agreement rate, known classes hit) at the end of a run."""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    text = getattr(config, "_chainrule_fuzz_summary", None)
    if text:
        terminalreporter.section("chainrule vs PyTorch: random programs")
        terminalreporter.write_line(text)
