"""The method names and their parameters' defaults are defined once, in ``methods.METHODS``;
every other place that writes them (the schema, config/config.yaml, config/README.md, the
figure colours, the resource models) is held in step with it here."""

import inspect
import re

import pytest
import yaml
from conftest import ROOT

from pixel_influence import config as config_checks
from pixel_influence import methods, resources
from pixel_influence.methods import METHOD_MEANING, METHODS
from pixel_influence.render import faithfulness_figure

SCHEMA = config_checks.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
TEST_CONFIG = yaml.safe_load((ROOT / ".test" / "config" / "config.yaml").read_text())
README = (ROOT / "config" / "README.md").read_text()
NAMES = list(METHODS)
WITH_PARAMETERS = {name: m.parameters for name, m in METHODS.items() if m.parameters}


def _readme_rows():
    """{key: (default, meaning)} of the table of config/README.md; a default written in
    backticks is given without them ("the public mirrors" is kept as it is)."""
    rows = {}
    for line in README.splitlines():
        m = re.match(r"\| `([^`]+)` \| (.+?) \| (.*) \|$", line)
        if m:
            default = m.group(2)
            default = default[1:-1] if re.fullmatch(r"`[^`]*`", default) else default
            rows[m.group(1)] = (default, m.group(3))
    return rows


def test_the_schema_lists_the_methods_of_the_registry_in_its_order():
    assert SCHEMA["properties"]["methods"]["items"]["enum"] == NAMES
    assert SCHEMA["properties"]["sweep"]["properties"]["methods"]["items"]["enum"] == NAMES


def test_the_default_methods_are_valid_and_the_config_file_writes_them():
    # every method by default, in the registry's order (the drawing order)
    assert SCHEMA["properties"]["methods"]["default"] == NAMES
    assert CONFIG["methods"] == NAMES
    sweep = SCHEMA["properties"]["sweep"]["properties"]["methods"]["default"]
    assert set(sweep) <= set(METHODS) and len(set(sweep)) == len(sweep)
    assert CONFIG["sweep"]["methods"] == sweep
    # the small config of .test uses known methods only
    assert set(TEST_CONFIG["methods"]) <= set(METHODS)
    assert set(TEST_CONFIG["sweep"]["methods"]) <= set(METHODS)


def test_the_schema_has_the_parameters_of_each_method_with_their_defaults():
    blocks = SCHEMA["properties"]["method_parameters"]["properties"]
    assert set(blocks) == set(WITH_PARAMETERS)
    for name, parameters in WITH_PARAMETERS.items():
        properties = blocks[name]["properties"]
        assert set(properties) == set(parameters), name
        for key, default in parameters.items():
            assert properties[key]["default"] == default, (name, key)


def test_the_config_file_writes_the_default_parameters():
    assert CONFIG["method_parameters"] == WITH_PARAMETERS
    for name, parameters in TEST_CONFIG.get("method_parameters", {}).items():
        assert set(parameters) <= set(METHODS[name].parameters), name


@pytest.mark.parametrize("name", NAMES)
def test_each_function_takes_its_parameters_with_the_registry_defaults(name):
    """The function's own keyword defaults (used when it is called directly) are the
    registry's: one value, not two that can drift."""
    signature = inspect.signature(METHODS[name].function)
    for key, default in METHODS[name].parameters.items():
        assert key in signature.parameters, (name, key)
        assert signature.parameters[key].default == default, (name, key)


def test_the_config_readme_names_every_method_and_parameter_with_its_default():
    rows = _readme_rows()
    listed = re.search(r"any of `([^`]+)`", rows["methods"][1])
    assert listed and listed.group(1).split(", ") == NAMES, rows["methods"]
    assert yaml.safe_load(rows["sweep.methods"][0]) == CONFIG["sweep"]["methods"]
    documented = {key for key in rows if key.startswith("method_parameters.")}
    expected = {f"method_parameters.{m}.{k}" for m, p in WITH_PARAMETERS.items() for k in p}
    assert documented == expected
    for name, parameters in WITH_PARAMETERS.items():
        for key, default in parameters.items():
            assert yaml.safe_load(rows[f"method_parameters.{name}.{key}"][0]) == default, key
    for name in NAMES:
        assert re.search(rf"\b{name}\b", README), name


def test_every_method_has_its_own_figure_colour():
    """The faithfulness figure tells every method (and the random ranking) apart by its
    colour, and again by its line style and marker, so it reads in grayscale too."""
    styles = faithfulness_figure.STYLES
    assert set(METHODS) | {"random"} <= set(styles), set(METHODS) - set(styles)
    for part in ("color", "linestyle", "marker"):
        values = [str(getattr(s, part)) for s in styles.values()]
        assert len(set(values)) == len(values), part
    # a method beyond the known ones gets a look of its own too
    extra = faithfulness_figure.styles([*METHODS, "random", "mine"])
    assert len({(s.color, str(s.linestyle)) for s in extra.values()}) == len(METHODS) + 2


def test_every_method_has_a_meaning():
    assert list(METHOD_MEANING) == NAMES
    assert all(isinstance(m, str) and m.strip() for m in METHOD_MEANING.values())


def test_the_resource_models_assume_the_registry_defaults():
    """pixel_influence.resources keeps its own copy of the defaults (its measurements were
    taken with them): the copy must be the registry's."""
    assert resources.ALL_METHODS == len(METHODS)
    ig = methods.METHODS["integrated_gradients"].parameters["points"]
    assert resources.DEFAULT_IG_POINTS == ig
    assert resources.DEFAULT_PERMUTATIONS == METHODS["shapley_sampling"].parameters["permutations"]
