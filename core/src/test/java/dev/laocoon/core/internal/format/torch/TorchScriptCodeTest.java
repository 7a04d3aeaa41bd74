package dev.laocoon.core.internal.format.torch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TorchScript code run by torch.jit.load: the source below is what torch 1.13's torch.jit.save
 * wrote for a scripted module whose {@code __setstate__} calls a helper that calls {@code torch.save};
 * loading that archive with torch.jit.load wrote the file (payload paths under /tmp).
 */
class TorchScriptCodeTest {
    static String module(String helperBody) {
        return "class M(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  x : Tensor\n"
                + "  sub : __torch__.Sub\n"
                + "  def forward(self: __torch__.M,\n"
                + "    a: Tensor) -> Tensor:\n"
                + "    x = self.x\n"
                + "    return torch.add(a, x)\n"
                + "  def __setstate__(self: __torch__.M,\n"
                + "    state: Tuple[Tensor, bool]) -> NoneType:\n"
                + "    self.x = (state)[0]\n"
                + "    self.training = (state)[1]\n"
                + "    _0 = (self).helper()\n"
                + "    return None\n"
                + "  def helper(self: __torch__.M) -> NoneType:\n"
                + "    x = self.x\n"
                + helperBody
                + "    return None\n"
                + "class Sub(Module):\n"
                + "  __parameters__ = []\n"
                + "  def run(self: __torch__.Sub) -> NoneType:\n"
                + "    _1 = ops.image.write_file(\"/tmp/laocoon-x\", torch.zeros([1]))\n"
                + "    return None\n";
    }

    @Test
    void aFileWriteReachedFromSetstateIsMalicious() {
        List<TorchScriptCode.Call> calls = TorchScriptCode.calls(
                module("    torch.save(x, \"/tmp/laocoon-ts-written.pt\")\n    print(\"ran\")\n"), "__torch__");
        assertThat(calls).anySatisfy(c -> {
            assertThat(c.callee()).isEqualTo("torch.save");
            assertThat(c.severity()).isEqualTo(Severity.MALICIOUS);
            assertThat(c.atLoad()).isTrue();
            assertThat(c.method()).isEqualTo("__torch__.M.helper");
        });
        // Sub.run is not reached from __setstate__: it runs when called, so at most suspicious
        assertThat(calls).anySatisfy(c -> {
            assertThat(c.callee()).isEqualTo("ops.image.write_file");
            assertThat(c.severity()).isEqualTo(Severity.SUSPICIOUS);
            assertThat(c.atLoad()).isFalse();
        });
    }

    @Test
    void aMethodOfAnAttributeReachedFromSetstateRunsAtLoad() {
        List<TorchScriptCode.Call> calls = TorchScriptCode.calls(module("    _2 = (self.sub).run()\n"), "__torch__");
        assertThat(calls).anySatisfy(c -> {
            assertThat(c.callee()).isEqualTo("ops.image.write_file");
            assertThat(c.severity()).isEqualTo(Severity.MALICIOUS);
        });
    }

    @Test
    void tensorArithmeticIsNotReported() {
        assertThat(TorchScriptCode.calls(module("    y = torch.mul(x, 2)\n    _3 = ops.aten.relu(y)\n"), "__torch__")
                .stream().filter(c -> c.atLoad())).isEmpty();
    }

    @Test
    void customOperatorsAreSuspicious() {
        assertThat(TorchScriptCode.calls(module("    _4 = ops.mylib.do_things(x)\n"), "__torch__"))
                .anySatisfy(c -> assertThat(c.severity()).isEqualTo(Severity.SUSPICIOUS));
    }

    @Test
    void theArchiveScanReportsIt() {
        byte[] data = PickleBuilder.create().proto(2).none().stop().bytes();
        byte[] zip = new ZipBuilder().add("m/data.pkl", data).add("m/constants.pkl", data)
                .add("m/code/__torch__.py", module("    torch.save(x, \"/tmp/laocoon-ts-written.pt\")\n")
                        .getBytes(StandardCharsets.UTF_8))
                .add("m/version", "3\n".getBytes(StandardCharsets.UTF_8)).bytes();
        FileReport r = Scanner.builder().build().scan(new ArrayByteSource(zip), "model.pt");
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.TORCHSCRIPT_CODE);
            assertThat(f.message()).contains("torch.jit.load runs __torch__.M.helper").contains("torch.save");
            assertThat(f.evidence()).contains("/tmp/laocoon-ts-written.pt");
        });
    }

    @Test
    void aFunctionInAnotherCodeMemberReachedFromSetstateRunsAtLoad() {
        String main = "class M(Module):\n"
                + "  __parameters__ = []\n"
                + "  def __setstate__(self: __torch__.M,\n"
                + "    state: Tuple[Tensor, bool]) -> NoneType:\n"
                + "    _0 = __torch__.helpers.write(state[0])\n"
                + "    return None\n";
        String helpers = "def write(x: Tensor) -> NoneType:\n"
                + "  torch.save(x, \"/tmp/laocoon-ts-written.pt\")\n"
                + "  return None\n";
        java.util.Map<String, List<TorchScriptCode.Call>> calls = TorchScriptCode.calls(
                java.util.Map.of("__torch__", main, "__torch__.helpers", helpers));
        assertThat(calls.get("__torch__.helpers")).singleElement().satisfies(c -> {
            assertThat(c.severity()).isEqualTo(Severity.MALICIOUS);
            assertThat(c.atLoad()).isTrue();
        });
    }
}
