package dev.laocoon.core.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.internal.format.SafetensorsValidator;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The header of a safetensors file that passed {@link SafetensorsValidator}: tensors in header order and metadata. */
public record SafetensorsFile(List<Tensor> tensors, Map<String, String> metadata, long dataStart) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor: dtype name as written, shape, and byte range within the data buffer. */
    public record Tensor(String name, String dtype, long[] shape, long begin, long end) {
    }

    /** Reads the header; fails with the validator's first problem when the file is not valid. */
    public static SafetensorsFile read(ByteSource src) throws IOException, ConvertException {
        var v = SafetensorsValidator.validate(src);
        if (!v.problems().isEmpty()) {
            var p = v.problems().get(0);
            throw new ConvertException("not a valid safetensors file: " + p.where() + ": " + p.message());
        }
        byte[] json = new byte[(int) v.headerLength()];
        src.readFully(8, json, 0, json.length);
        JsonNode root = JSON.readTree(json);
        List<Tensor> tensors = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode t = e.getValue();
            JsonNode shapeNode = t.get("shape");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
            }
            tensors.add(new Tensor(e.getKey(), t.get("dtype").asText(), shape, t.get("data_offsets").get(0).asLong(),
                    t.get("data_offsets").get(1).asLong()));
        }
        return new SafetensorsFile(tensors, metadata, 8 + v.headerLength());
    }
}
