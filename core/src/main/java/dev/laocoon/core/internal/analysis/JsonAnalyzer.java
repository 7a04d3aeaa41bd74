package dev.laocoon.core.internal.analysis;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.format.JsonTree;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.ByteSourceInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * A file that is one whole JSON value is data: {@code json}, no finding. One that is a Keras
 * model config ({@code model.to_json()}: {@code class_name} and {@code config} at the top, which
 * {@code model_from_json} deserializes, Lambda layers included) is checked as a Keras config.
 * Used by {@link RepositoryFileAnalyzer}, which decides when a file may be JSON.
 */
final class JsonAnalyzer {
    private JsonAnalyzer() {
    }

    /** True when {@code src} is one whole JSON document (then analysed as such). */
    static boolean analyze(AnalysisContext ctx, ByteSource src, Location where) throws IOException {
        byte[] h = new byte[2];
        long start = 0;
        while (start < src.size() && src.readFully(start, h, 0, 1) == 1 && Character.isWhitespace(h[0])) {
            start++;
        }
        // Python's json.loads(bytes) also reads UTF-8 with a BOM and UTF-16/32 (with or without a BOM);
        // Jackson detects the same encodings from the first bytes
        boolean unicode = start == 0 && src.readFully(0, h, 0, 2) == 2 && unicodeJson(h[0], h[1]);
        if (h[0] != '{' && h[0] != '[' && !unicode) {
            return false;
        }
        // Keras 3's model_from_json (deserialize_keras_object) also walks lists and dicts without
        // class_name/config at the top, so a class_name+config object anywhere is a Keras config
        boolean kerasObject = false;
        BitSet className = new BitSet();
        BitSet config = new BitSet();
        // small files were already read whole (repository files); large ones are streamed
        byte[] whole = ctx.wholeIfRead(src);
        List<Map.Entry<String, String>> templates = new ArrayList<>();
        try (JsonParser parser = whole != null
                ? JsonTree.FACTORY.createParser(whole) : JsonTree.FACTORY.createParser(new ByteSourceInputStream(src))) {
            int depth = 0;
            JsonToken tok;
            while ((tok = parser.nextToken()) != null) {
                if (tok == JsonToken.FIELD_NAME && depth == 1
                        && parser.currentName().toLowerCase(java.util.Locale.ROOT).contains("chat_template")) {
                    // tokenizer_config.json, processor_config.json, chat_template.json (transformers reads
                    // "chat_template"; other tools and forks read variants such as "custom_chat_template"):
                    // the value is consumed here
                    String key = "/" + parser.currentName().replace("~", "~0").replace("/", "~1");
                    templates(parser, parser.nextToken(), key, templates);
                    continue;
                }
                if (tok == JsonToken.FIELD_NAME) {
                    if (parser.currentName().equals("class_name")) {
                        className.set(depth);
                    } else if (parser.currentName().equals("config")) {
                        config.set(depth);
                    }
                    kerasObject |= className.get(depth) && config.get(depth);
                }
                if (tok.isStructStart()) {
                    depth++;
                    className.clear(depth);
                    config.clear(depth);
                } else if (tok.isStructEnd()) {
                    depth--;
                    if (depth == 0) {
                        break;
                    }
                }
            }
            if (depth != 0 || parser.nextToken() != null) {
                return false; // truncated, or something after the value: not one JSON document
            }
        } catch (IOException | RuntimeException notJson) {
            // Jackson's errors, and the decoders' CharConversionException for broken UTF-16/32: not
            // one JSON document, so the file stays unrecognised (a notice, never safe)
            return false;
        }
        for (Map.Entry<String, String> t : templates) {
            ChatTemplates.judge(ctx, where, "json-pointer", t.getKey(), t.getValue());
        }
        if (kerasObject && src.size() <= ctx.limits().maxMemberBytes()) {
            ctx.format(Format.KERAS_JSON);
            String text;
            try {
                text = text(ctx.whole(src));
            } catch (IOException unreadable) {
                ctx.report(Rule.KERAS_MALFORMED, Severity.SUSPICIOUS,
                        "Keras model JSON that cannot be read a second time: " + unreadable.getMessage(), where, "");
                return true;
            }
            KerasAnalyzer.config(ctx, text, where, "model JSON");
        } else {
            ctx.format(Format.JSON);
        }
        return true;
    }

    /**
     * Every string in a top-level {@code chat_template} value (or a key containing that name), with its JSON pointer. transformers 5.x
     * renders the value as a template when it is a string, as named templates when it is a list of
     * {@code {"name", "template"}} objects or an object of names to templates
     * (tokenization_utils_base.py {@code PreTrainedTokenizerBase.__init__}, processing_utils.py
     * {@code ProcessorMixin.get_processor_dict} for processor_config.json and chat_template.json);
     * every string is judged, whatever the shape, and every value of a repeated key.
     */
    private static void templates(JsonParser p, JsonToken tok, String path, List<Map.Entry<String, String>> out)
            throws IOException {
        if (tok == JsonToken.VALUE_STRING) {
            out.add(Map.entry(path, p.getText()));
        } else if (tok == JsonToken.START_ARRAY) {
            int i = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY && t != null; t = p.nextToken()) {
                templates(p, t, path + "/" + i++, out);
            }
        } else if (tok == JsonToken.START_OBJECT) {
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName().replace("~", "~0").replace("/", "~1");
                templates(p, p.nextToken(), path + "/" + name, out);
            }
        }
    }

    /**
     * JSON bytes as Keras's json.loads(bytes) reads them: UTF-8, or UTF-16/32 (with or without a
     * BOM), which Jackson detects the same way; text that does not decode is passed on as UTF-8,
     * where the config check reports it as not valid JSON.
     */
    static String text(byte[] b) {
        if (b.length >= 2 && unicodeJson(b[0], b[1])) {
            try {
                return JsonTree.write(JsonTree.parse(b));
            } catch (IOException | RuntimeException notJson) {
                // falls through
            }
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    /** First bytes of JSON that is not plain UTF-8: a BOM, or the zero bytes of UTF-16/32. */
    private static boolean unicodeJson(byte b0, byte b1) {
        return b0 == 0 || b1 == 0 || (b0 & 0xff) == 0xef || (b0 & 0xff) == 0xfe || (b0 & 0xff) == 0xff;
    }
}
