package dev.laocoon.core.internal.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * joblib reads what its wrappers' pickled state says (joblib/numpy_pickle.py, numpy_pickle_compat.py):
 * the dtype's own state decides whether array data is raw bytes or a pickle and how many bytes
 * it spans, and old-format wrappers name side files. Confirmed with joblib 1.2 and numpy 1.24
 * (Debian) with an inert payload (print): each file below runs the payload in joblib.load.
 */
class JoblibInternalsTest {
    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "m.joblib");
    }

    /** A NumpyArrayWrapper for one item whose dtype is numpy.dtype(descr) with the given BUILD state, then {@code data}. */
    static byte[] wrapper(String descr, PickleBuilder dtypeState, byte[] data, byte[] tail) {
        PickleBuilder b = PickleBuilder.create().proto(4)
                .global("joblib.numpy_pickle", "NumpyArrayWrapper").emptyTuple().newobj()
                .emptyDict()
                .str("shape").binint1(1).tuple1().setitem()
                .str("order").str("C").setitem()
                .str("dtype").global("numpy", "dtype").str(descr).newFalse().newTrue().tuple3().reduce();
        if (dtypeState != null) {
            b.raw(dtypeState.bytes()).build();
        }
        b.setitem().str("allow_mmap").newTrue().setitem().build();
        return b.raw(data).raw(tail).bytes();
    }

    /** A 64-byte pickle: exec(print(...)), padded with NONE POP pairs; 64 raw bytes of a V64 item to a reader that misses the object flag. */
    static final byte[] PAYLOAD = payload64();

    static byte[] payload64() {
        PickleBuilder b = PickleBuilder.create().proto(4).global("builtins", "exec").str("print('laocoon')")
                .tuple1().reduce().pop();
        while (b.size() < 62) {
            b.none().pop();
        }
        if (b.size() == 62) {
            return b.none().stop().bytes();
        }
        throw new IllegalStateException("payload is " + b.size() + " bytes");
    }
    static final byte[] TAIL = PickleBuilder.create().pop().none().stop().bytes();

    /** (3, '|', None, names, fields, elsize, alignment, flags): numpy's dtype state, version 3. */
    static PickleBuilder state(int elsize, int flags, boolean objectField) {
        PickleBuilder s = PickleBuilder.create().mark().binint1(3).str("|").none();
        if (objectField) {
            s.str("a").tuple1().emptyDict().str("a").global("numpy", "dtype").str("O8").newFalse().newTrue().tuple3()
                    .reduce().binint1(0).tuple2().setitem();
        } else {
            s.none().none();
        }
        return s.binint1(elsize).binint1(1).binint1(flags).tuple();
    }

    @Test
    void aStructuredDtypeWithAnObjectFieldIsReadAsAPickle() {
        // dtype('V8') whose state has an object field and the hasobject flag: joblib unpickles the "array"
        FileReport r = scan(wrapper("V64", state(64, 27, true), PAYLOAD, TAIL));
        assertReadAsAPickle(r);
    }

    @Test
    void theHasObjectFlagAloneMakesItAPickle() {
        assertReadAsAPickle(scan(wrapper("V64", state(64, 1, false), PAYLOAD, TAIL)));
    }

    /** The payload is found as joblib reads it: the object array's own pickle, not only raw bytes read as code. */
    static void assertReadAsAPickle(FileReport r) {
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.message()).contains("builtins.exec").doesNotContain("joblib array data");
            assertThat(f.location().render()).contains("#1");
        });
    }

    @Test
    void theStatesElementSizeIsTheItemSizeOfFlexibleTypes() {
        // dtype('V1') with elsize 64 in its state: joblib reads 64 raw bytes, then the pickle goes on
        byte[] raw = new byte[64];
        raw[0] = (byte) 0xff;
        byte[] tail = PickleBuilder.create().pop().global("os", "system").str("echo laocoon").tuple1().reduce().stop().bytes();
        FileReport r = scan(wrapper("V1", state(64, 0, false), raw, tail));
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.evidence()).contains("os.system('echo laocoon')"));
    }

    @Test
    void aPlainStructuredArrayStaysData() {
        FileReport r = scan(wrapper("V8", state(8, 0, false), new byte[8], TAIL));
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.NOTICE);
    }

    static byte[] oldWrapper(String cls, String filename) {
        return PickleBuilder.create().proto(2).global("joblib.numpy_pickle_compat", cls).emptyTuple().newobj()
                .emptyDict().str("filename").str(filename).setitem()
                .str("subclass").global("numpy", "ndarray").setitem().build().stop().bytes();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "../../other/model.npy", "C:\\\\data\\\\x.npy", "sub/../../x.npy"})
    void anOldFormatSideFileOutsideTheFolderIsMalicious(String name) {
        for (String cls : new String[] {"NDArrayWrapper", "ZNDArrayWrapper"}) {
            FileReport r = scan(oldWrapper(cls, name));
            assertThat(r.verdict()).as(cls + " " + name + " " + r).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.JOBLIB_SIDE_FILE));
        }
    }

    @Test
    void anOldFormatSideFileInTheFolderIsTheUsualNotice() {
        FileReport r = scan(oldWrapper("NDArrayWrapper", "model.pkl_01.npy"));
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.NOTICE);
    }

    @Test
    void theObjectFlagOfAFixedSizeTypeIsIgnoredAsNumpyIgnoresIt() {
        // dtype('f8') with flags 1: numpy keeps hasobject False, joblib reads 8 raw bytes, then the payload
        byte[] tail = PickleBuilder.create().pop().global("os", "system").str("echo laocoon").tuple1().reduce().stop().bytes();
        FileReport r = scan(wrapper("f8", PickleBuilder.create().mark().binint1(3).str("<").none().none().none()
                .binint1(-1 & 0xff).binint1(-1 & 0xff).binint1(1).tuple(), new byte[8], tail));
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.evidence()).contains("os.system('echo laocoon')"));
    }
}
