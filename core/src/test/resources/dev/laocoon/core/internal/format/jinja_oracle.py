"""Oracle of JinjaOracleTest: reads JSON template strings, one per line, renders each with jinja2's
ImmutableSandboxedEnvironment (as transformers renders chat templates) against a recorder `x`,
and prints, one JSON value per line, the attribute and subscript names the template asked of `x`,
or "ERR:<exception type>" when rendering raises. The sandbox and the recorder keep every template
inert: nothing but names is handed out."""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment


class Recorder:
    def __init__(self):
        self.names = []

    def __getitem__(self, key):
        self.names.append(key if isinstance(key, str) else repr(key))
        return ""


class Env(ImmutableSandboxedEnvironment):
    def is_safe_attribute(self, obj, attr, value):
        if isinstance(obj, Recorder):
            obj.names.append(attr)
            return False
        return super().is_safe_attribute(obj, attr, value)


env = Env()
for line in sys.stdin:
    template = json.loads(line)
    x = Recorder()
    try:
        env.from_string(template).render(x=x, messages=[])
        out = x.names
    except Exception as e:  # noqa: BLE001 - any failure is an answer
        out = "ERR:" + type(e).__name__
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
