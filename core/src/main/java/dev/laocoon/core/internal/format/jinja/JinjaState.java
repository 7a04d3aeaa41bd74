package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaValue.Alt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Variables (a stack of scopes) and namespace attributes. */
final class JinjaState {
    final List<HashMap<String, JinjaValue>> scopes = new ArrayList<>();
    final HashMap<Integer, HashMap<String, JinjaValue>> ns = new HashMap<>();

    JinjaState() {
        scopes.add(new HashMap<>());
    }

    JinjaState copy() {
        JinjaState c = new JinjaState();
        c.scopes.clear();
        for (HashMap<String, JinjaValue> s : scopes) {
            c.scopes.add(new HashMap<>(s));
        }
        for (Map.Entry<Integer, HashMap<String, JinjaValue>> e : ns.entrySet()) {
            c.ns.put(e.getKey(), new HashMap<>(e.getValue()));
        }
        return c;
    }

    int size() {
        int n = 0;
        for (HashMap<String, JinjaValue> s : scopes) {
            n += s.size();
        }
        for (HashMap<String, JinjaValue> m : ns.values()) {
            n += m.size();
        }
        return n;
    }

    JinjaValue lookup(String name) {
        for (int i = scopes.size() - 1; i >= 0; i--) {
            JinjaValue v = scopes.get(i).get(name);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    void push() {
        scopes.add(new HashMap<>());
    }

    void pop() {
        scopes.remove(scopes.size() - 1);
    }

    /** Joins {@code o} into this state; with {@code widen}, changed values become unknowns. */
    boolean joinFrom(JinjaState o, boolean widen) {
        boolean changed = false;
        for (int i = 0; i < Math.min(scopes.size(), o.scopes.size()); i++) {
            changed |= joinMap(scopes.get(i), o.scopes.get(i), widen);
        }
        for (Map.Entry<Integer, HashMap<String, JinjaValue>> e : o.ns.entrySet()) {
            HashMap<String, JinjaValue> mine = ns.computeIfAbsent(e.getKey(), k -> new HashMap<>());
            changed |= joinMap(mine, e.getValue(), widen);
        }
        return changed;
    }

    private static boolean joinMap(Map<String, JinjaValue> a, Map<String, JinjaValue> b, boolean widen) {
        boolean changed = false;
        for (Map.Entry<String, JinjaValue> e : b.entrySet()) {
            JinjaValue old = a.get(e.getKey());
            JinjaValue j = old == null ? JinjaValue.join(JinjaValue.UNKNOWN, e.getValue())
                    : JinjaValue.join(old, e.getValue());
            if (!j.equals(old)) {
                if (widen && old != null) {
                    j = JinjaValue.widen(List.of(old, e.getValue()));
                }
                a.put(e.getKey(), j);
                changed = true;
            }
        }
        for (Map.Entry<String, JinjaValue> e : a.entrySet()) {
            if (!b.containsKey(e.getKey()) && !(e.getValue() instanceof Alt al && al.options().contains(
                    JinjaValue.UNKNOWN))) {
                JinjaValue j = JinjaValue.join(e.getValue(), JinjaValue.UNKNOWN);
                if (!j.equals(e.getValue())) {
                    e.setValue(j);
                    changed = true;
                }
            }
        }
        return changed;
    }
}
