package dev.laocoon.core.convert;

import java.util.LinkedHashMap;

/** What a checkpoint holds, as far as conversion is concerned: tensors, mappings of them, and the rest. */
public sealed interface Node {

    /** A tensor made by an allow-listed rebuild function. */
    record Tensor(TensorRef ref) implements Node {
    }

    /** A dict or OrderedDict with string keys, in insertion order. */
    record Mapping(String type, LinkedHashMap<String, Node> entries) implements Node {
        /** Entries that are tensors, including those that cannot be converted. */
        public long tensorCount() {
            return entries.values().stream().filter(n -> n instanceof Tensor || n instanceof Other o && o.problem() != null)
                    .count();
        }
    }

    /**
     * Anything else, described for the person converting: plain values, objects of other classes,
     * and tensors that cannot be converted ({@code problem} then says why).
     */
    record Other(String description, String problem) implements Node {
        public static Other of(String description) {
            return new Other(description, null);
        }
    }
}
