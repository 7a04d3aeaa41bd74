package dev.laocoon.core.convert;

import java.util.Arrays;

/**
 * A tensor as its rebuild call describes it: element type, shape, strides and offset (in
 * elements of {@code dtype}) into a storage. Nothing is read until the bytes are needed.
 */
public record TensorRef(DType dtype, long[] shape, long[] stride, long offset, Storage storage) {

    public TensorRef {
        shape = shape.clone();
        stride = stride.clone();
        if (shape.length != stride.length) {
            throw new IllegalArgumentException("shape and stride differ in length");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[] stride() {
        return stride.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long strideOf(int i) {
        return stride[i];
    }

    /** Number of elements (shapes are checked against their storage before a TensorRef is made). */
    public long numel() {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    public long nbytes() {
        return Math.multiplyExact(numel(), dtype.size());
    }

    /** True when the elements lie in C order with no gaps (dimensions of size 1 may have any stride). */
    public boolean contiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 0) {
                return true;
            }
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** Byte offset of the first element in the storage. */
    public long byteOffset() {
        return offset * dtype.size();
    }

    /** One past the last byte of the storage the tensor reads (its start when it is empty). */
    public long byteEnd() {
        if (numel() == 0) {
            return byteOffset();
        }
        long last = offset;
        for (int i = 0; i < shape.length; i++) {
            last += (shape[i] - 1) * stride[i];
        }
        return (last + 1) * dtype.size();
    }

    /** Starts at the storage's first byte and has as many bytes as the storage (how Hugging Face picks the copy to keep). */
    public boolean coversStorage() {
        return offset == 0 && nbytes() == storage.bytes().size();
    }

    /** Shape as Python prints it, e.g. {@code [3, 4]}. */
    public String shapeText() {
        return Arrays.toString(shape);
    }
}
