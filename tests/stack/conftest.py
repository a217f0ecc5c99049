def pytest_configure(config):
    # registered here too so the suite runs without pytest-xdist installed
    config.addinivalue_line("markers", "xdist_group(name): keep these tests on one xdist worker")
