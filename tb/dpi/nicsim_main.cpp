// nicsim_main.cpp: the simulator's main loop for cocotb under Verilator, in place of the one
// cocotb ships (tb/runner.py swaps it in). It drives the same VPI regions in the same order, and
// adds one thing: a trace window. With --trace, WAVES_FROM and WAVES_TO (simulated ns, from the
// environment) limit what is dumped, so a long flow leaves a small file; outside the window the
// model runs untraced, and at WAVES_TO the file is closed and complete.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "Vtop.h"
#include "verilated.h"
#include "verilated_vpi.h"

#if VM_TRACE
#if VM_TRACE_FST
#include <verilated_fst_c.h>
using trace_file_t = VerilatedFstC;
static const char *default_trace = "dump.fst";
#else
#include <verilated_vcd_c.h>
using trace_file_t = VerilatedVcdC;
static const char *default_trace = "dump.vcd";
#endif
#endif

static uint64_t main_time = 0;  // in the model's time precision

double sc_time_stamp() { return static_cast<double>(main_time); }

extern "C" void vlog_startup_routines_bootstrap(void);

// value-change callbacks may change values again: run them until nothing changes
static void settle_value_callbacks() {
    while (VerilatedVpi::callValueCbs()) {
    }
}

// simulated ns from the environment, in units of the model's time precision
static uint64_t env_time(const char *name, uint64_t fallback, double units_per_ns) {
    const char *text = getenv(name);
    if (!text || !*text) return fallback;
    char *end = nullptr;
    double ns = strtod(text, &end);
    if (end == text || *end != '\0' || ns < 0) {
        fprintf(stderr, "nicsim: %s=%s is not a time in ns; tracing the whole run\n", name, text);
        return fallback;
    }
    return static_cast<uint64_t>(ns * units_per_ns);
}

#if VM_TRACE
// the trace and its window: opened at the start, dumped only inside [from, to]. The trace
// object is never deleted: its destructor after the model's (at exit) crashes, so it is closed.
struct TraceWindow {
    trace_file_t *file = nullptr;
    uint64_t from = 0;
    uint64_t to = UINT64_MAX;
    bool closed = false;

    void dump(uint64_t now) {
        if (!file || closed || now < from) return;
        if (now > to) {
            file->close();
            closed = true;
            return;
        }
        file->dump(now);
    }
    void close() {
        if (file && !closed) file->close();
        closed = true;
    }
};
static TraceWindow trace;
#endif

static void end_of_simulation() {
    VerilatedVpi::callCbs(cbEndOfSimulation);
#if VM_TRACE
    trace.close();
#endif
}

int main(int argc, char **argv) {
    bool trace_on = false;
    std::string trace_name;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--trace")) {
            trace_on = true;
        } else if (!strcmp(argv[i], "--trace-file") && i + 1 < argc) {
            trace_name = argv[++i];
        }
    }
    Verilated::commandArgs(argc, argv);
    std::unique_ptr<Vtop> top(new Vtop(""));
    Verilated::fatalOnVpiError(false);  // system tasks would otherwise fail

#if VM_TRACE
    Verilated::traceEverOn(true);
    if (trace_on) {
        // timeprecision() is a power of ten (-12 for ps): units of main_time per ns
        double per_ns = 1.0;
        for (int p = Verilated::threadContextp()->timeprecision(); p < -9; p++) per_ns *= 10.0;
        trace.from = env_time("WAVES_FROM", 0, per_ns);
        trace.to = env_time("WAVES_TO", UINT64_MAX, per_ns);
        trace.file = new trace_file_t;
        top->trace(trace.file, 99);
        trace.file->open(trace_name.empty() ? default_trace : trace_name.c_str());
    }
#else
    if (trace_on) fprintf(stderr, "nicsim: --trace needs a model built with WAVES=1\n");
#endif

    vlog_startup_routines_bootstrap();
    Verilated::addExitCb([](void *) { end_of_simulation(); }, nullptr);
    VerilatedVpi::callCbs(cbStartOfSimulation);
    settle_value_callbacks();

    const uint64_t none_pending = ~0ULL;
    while (!Verilated::gotFinish()) {
        // evaluate the time step until neither the model nor cocotb changes anything
        do {
            do {
                top->eval_step();
                VerilatedVpi::clearEvalNeeded();
                VerilatedVpi::doInertialPuts();
                settle_value_callbacks();
            } while (VerilatedVpi::evalNeeded());
            VerilatedVpi::callCbs(cbReadWriteSynch);
            VerilatedVpi::doInertialPuts();
            settle_value_callbacks();
        } while (VerilatedVpi::evalNeeded());
        top->eval_end_step();
        VerilatedVpi::callCbs(cbReadOnlySynch);
#if VM_TRACE
        trace.dump(main_time);
#endif
        // next time: cocotb's next timed callback or the model's next timing event
        uint64_t next_cocotb = VerilatedVpi::cbNextDeadline();
        uint64_t next_model = top->eventsPending() ? top->nextTimeSlot() : none_pending;
        uint64_t next = next_cocotb < next_model ? next_cocotb : next_model;
        if (next == none_pending) break;
        main_time = next;
        VerilatedVpi::callCbs(cbNextSimTime);
        settle_value_callbacks();
        VerilatedVpi::callTimedCbs();
        settle_value_callbacks();
    }

    top->final();
    end_of_simulation();
    return Verilated::threadContextp()->errorCount() > 0 ? 1 : 0;
}
