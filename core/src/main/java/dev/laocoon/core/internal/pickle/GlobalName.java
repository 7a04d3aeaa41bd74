package dev.laocoon.core.internal.pickle;

/**
 * A global as the unpickler looks it up: {@code module}/{@code name} are what {@code find_class}
 * receives; {@code resolvedModule}/{@code resolvedName} are after CPython's Python 2 name mapping
 * (applied below protocol 3). {@code known} is false when a STACK_GLOBAL operand could not be
 * determined statically; the strings then describe the operands.
 */
public record GlobalName(String module, String name, String resolvedModule, String resolvedName,
                         int protocol, boolean known) {

    /** The dotted path a loader resolves, e.g. {@code os.system} or {@code torch.serialization.os.system}. */
    public String path() {
        return resolvedModule + "." + resolvedName;
    }

    public boolean remapped() {
        return !module.equals(resolvedModule) || !name.equals(resolvedName);
    }

    public String display() {
        return known ? path() : "<unresolved " + module + "." + name + ">";
    }
}
