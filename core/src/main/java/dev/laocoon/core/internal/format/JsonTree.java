package dev.laocoon.core.internal.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON read into plain values, as Python's json module builds them: objects are {@link Map}s in
 * document order (a repeated key keeps its first place and its last value), arrays {@link List}s,
 * strings {@link String}s, numbers {@link Num} (their text), {@code true}/{@code false}
 * {@link Boolean}s and {@code null} {@link #NULL}. NaN and Infinity are accepted, as Python
 * accepts them. Built on Jackson's streaming parser only: the data-binding layer costs tens of
 * milliseconds to start, in every scan that meets a JSON config.
 */
public final class JsonTree {
    /** JSON {@code null}. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** A number, kept as written. */
    public record Num(String text) {
    }

    /** Python's json module also accepts NaN, Infinity and -Infinity. */
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private JsonTree() {
    }

    /** The first JSON value of {@code text}, or null when there is none (what follows it is not read). */
    public static Object parse(String text) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            return p.nextToken() == null ? null : value(p);
        }
    }

    /** As {@link #parse(String)}, from bytes (UTF-8, or UTF-16/32 detected from the first bytes). */
    public static Object parse(byte[] bytes) throws IOException {
        try (JsonParser p = FACTORY.createParser(bytes)) {
            return p.nextToken() == null ? null : value(p);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    m.put(k, value(p));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return new Num(p.getText());
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return NULL;
            default:
                throw new IOException("unexpected JSON token " + t);
        }
    }

    /**
     * A scalar as text: a string itself, a number or boolean as written; {@code fallback} for
     * null or a missing value; empty for an object or array.
     */
    public static String text(Object v, String fallback) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Num n) {
            return n.text();
        }
        if (v instanceof Boolean b) {
            return b.toString();
        }
        if (v == null || v == NULL) {
            return fallback;
        }
        return "";
    }

    /** The member {@code key} of an object, or null (also when {@code v} is no object). */
    public static Object get(Object v, String key) {
        return v instanceof Map<?, ?> m ? m.get(key) : null;
    }

    /** Compact JSON text of a value. */
    public static String write(Object v) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            write(g, v);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName((String) e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object x : l) {
                write(g, x);
            }
            g.writeEndArray();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Num n) {
            g.writeNumber(n.text());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeNull();
        }
    }
}
