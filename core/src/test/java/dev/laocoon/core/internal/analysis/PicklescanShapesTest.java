package dev.laocoon.core.internal.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * picklescan's own hostile test data stays flagged: the globals below are those its test suite
 * expects to be reported as dangerous (mmaitre314/picklescan, tests/test_scanner.py, MIT licence;
 * only the module and name pairs are taken). The files are written here, in the shapes its data
 * uses: a protocol-0 GLOBAL call, a protocol-4 STACK_GLOBAL call, and the same inside a PyTorch zip.
 */
class PicklescanShapesTest {
    static Severity scan(byte[] b, String name) {
        FileReport r = Scanner.builder().build().scan(new ArrayByteSource(b), name);
        return r.verdict();
    }

    @ParameterizedTest(name = "{0}.{1}")
    @CsvSource({"__builtin__,eval", "builtins,eval", "posix,system", "os,system", "httplib,HTTPSConnection",
            "requests.api,get", "aiohttp.client,ClientSession", "socket,create_connection", "subprocess,run",
            "sys,exit", "__builtin__,exec", "runpy,_run_code", "numpy.testing._private.utils,runstring",
            "timeit,timeit", "torch._dynamo.guards,GuardBuilder.get", "torch.utils.bottleneck.__main__,run_cprofile",
            "42,os", "_aix_support,_read_cmd_output", "_io,FileIO", "_operator,attrgetter", "_operator,methodcaller",
            "_osx_support,_read_output", "_pyrepl.pager,pipe_pager", "builtins,__import__", "cProfile,run",
            "cProfile,runctx", "cloudpickle.cloudpickle,_builtin_type", "cloudpickle.cloudpickle,_make_function",
            "cloudpickle.cloudpickle,subimport", "code,InteractiveInterpreter.runcode", "ctypes,CDLL",
            "distutils.file_util,write_file", "doctest,debug_script", "ensurepip,_run_pip",
            "idlelib.autocomplete,AutoComplete.get_entity", "idlelib.calltip,Calltip.fetch_tip",
            "idlelib.calltip,get_entity", "idlelib.debugobj,ObjectTreeItem.SetText",
            "idlelib.pyshell,ModifiedInterpreter.runcode", "idlelib.run,Executive.runcode", "imaplib,IMAP4_stream",
            "lib2to3.pgen2.grammar,Grammar.loads", "logging,FileHandler", "numpy.f2py.crackfortran,getlincoef",
            "operator,methodcaller", "pkgutil,resolve_name", "profile,Profile.run", "profile,Profile.runctx",
            "profile,run", "pty,spawn", "pydoc,locate", "test.support.script_helper,assert_python_ok",
            "torch.jit.unsupported_tensor_ops,execWrapper", "torch.utils.collect_env,run",
            "torch.utils.collect_env,run_and_read_all", "trace,Trace.run", "trace,Trace.runctx", "types,CodeType",
            "unknown,os", "urllib.request,urlopen", "uuid,_get_command_stdout"})
    void everyShapeIsFlagged(String module, String name) {
        byte[] p0 = PickleBuilder.create().global(module, name).mark().string("'laocoon'").tuple().reduce().stop().bytes();
        byte[] p4 = PickleBuilder.create().proto(4).binunicode(module).binunicode(name).stackGlobal()
                .binunicode("laocoon").tuple1().reduce().stop().bytes();
        byte[] zip = new ZipBuilder().add("archive/data.pkl", p4).add("archive/version", "3\n".getBytes()).bytes();
        // a name with a dot is only resolved by protocol 4; at protocol 0 find_class fails on it, so it is data-free there
        if (!name.contains(".")) {
            assertThat(scan(p0, "m.pkl")).as("protocol 0").isGreaterThanOrEqualTo(Severity.SUSPICIOUS);
        }
        assertThat(scan(p4, "m.pkl")).as("protocol 4").isGreaterThanOrEqualTo(Severity.SUSPICIOUS);
        assertThat(scan(zip, "pytorch_model.bin")).as("PyTorch zip").isGreaterThanOrEqualTo(Severity.SUSPICIOUS);
    }
}
