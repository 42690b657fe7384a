// `lamina resume CHECKPOINT.h5`: continues a run from a checkpoint written by `lamina run
// --checkpoint` (or by the C++/Python API for a network made from a model file), on any thread
// count, with bitwise the spikes, state and weights the run would have had without stopping.
#include "commands.hpp"
#include "distributed.hpp"
#include "model_command.hpp"

#include "lamina/app/cli.hpp"
#include "lamina/compose/checkpoint_restore.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

namespace lamina::app {

namespace {

struct resume_options {
    std::string checkpoint;
    model_options run;
};

int command_resume(const resume_options& r) {
    // A distributed resume: every rank restores the same file (at the same path on every node)
    // and keeps its own part; the checkpoint may come from any number of ranks.
    // Every rank reads the header first and they agree on it, so a file one rank cannot read
    // stops all of them before the build's collectives.
    {
        std::string failure;
        try {
            (void)sim::read_checkpoint_header(r.checkpoint);
        } catch (const sim::checkpoint_error& e) {
            failure = e.what();
        }
        if (distributed::any_failed(!failure.empty())) {
            // Rank 0 reports; another rank only when rank 0 could read the file.
            std::vector<char> root_failed{static_cast<char>(!failure.empty())};
            if (auto c = distributed::communicator()) c->broadcast(root_failed);
            if (distributed::rank() == 0 && !failure.empty())
                std::fprintf(stderr, "error: %s\n", failure.c_str());
            else if (!failure.empty() && !root_failed[0])
                std::fprintf(stderr, "error (rank %d): %s\n", distributed::rank(), failure.c_str());
            return exit_bad_input;
        }
    }
    compose::restored_network restored;
    try {
        restored = compose::restore_checkpoint(r.checkpoint, r.run.threads, add_default_recorders,
                                               compose::builtin_registries(), distributed::communicator());
    } catch (const sim::checkpoint_error& e) {
        // Every rank of a distributed run throws (load_checkpoint agrees on failures): rank 0 reports.
        if (distributed::rank() == 0) std::fprintf(stderr, "error: %s\n", e.what());
        return exit_bad_input;
    } catch (const compose::model_file_error& e) {
        if (distributed::rank() != 0) return exit_bad_input;
        std::fprintf(stderr, "error: %s: the model description inside the checkpoint no longer reads:\n",
                     r.checkpoint.c_str());
        return report(e);
    } catch (const sim::capacity_error& e) {
        if (distributed::active()) distributed::abort_all(r.checkpoint + ": " + e.what(), exit_bad_input);
        std::fprintf(stderr, "error: %s: %s\n", r.checkpoint.c_str(), e.what());
        return exit_bad_input;
    }
    const auto& d = restored.description;
    const double now_ms = restored.header.time_ms();
    // Without --duration: the rest of the model file's duration.
    const double duration_ms = r.run.duration.value_or(d.run.duration_ms - now_ms);
    if (!(duration_ms > 0.0)) {
        if (distributed::rank() != 0) return exit_bad_input;
        std::fprintf(stderr,
                     "error: %s: the checkpoint is at %.3f ms, at or past the model's duration (%.3f ms); give "
                     "--duration for how much longer to run\n",
                     r.checkpoint.c_str(), now_ms, d.run.duration_ms);
        return exit_bad_input;
    }
    std::string output = r.run.out;
    if (output.empty()) {
        const auto stem = std::filesystem::path(d.path.empty() ? r.checkpoint : d.path).stem().string();
        output = stem + "_resumed.h5";
    }
    if (!r.run.quiet && distributed::rank() == 0)
        std::fprintf(stderr, "lamina: resuming %s at %.3f ms for %.3f ms\n", r.checkpoint.c_str(), now_ms, duration_ms);
    return run_network(d, *restored.network, r.run, duration_ms, output);
}

} // namespace

subcommand add_resume_command(CLI::App& app) {
    auto o = std::make_shared<resume_options>();
    auto* cmd = app.add_subcommand("resume", "continue a run from a checkpoint (lamina run --checkpoint)");
    cmd->add_option("checkpoint", o->checkpoint, "checkpoint file (HDF5)")->required();
    cmd->add_option("--duration", o->run.duration,
                    "model time in ms to run on (default: the rest of the model file's duration)")
        ->check(CLI::Range(0.0, 1e12));
    cmd->add_option("--out", o->run.out, "result file of the continued run (default: <model>_resumed.h5)");
    cmd->add_option("--threads", o->run.threads, "threads (any number: the results do not depend on it)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("--checkpoint", o->run.checkpoint, "write the state at the end (and every --checkpoint-every ms)");
    cmd->add_option("--checkpoint-every", o->run.checkpoint_every, "model time in ms between checkpoints")
        ->check(CLI::Range(1e-9, 1e12))
        ->needs("--checkpoint");
    cmd->add_flag("--json", o->run.json, "print the summary as one JSON object on stdout");
    cmd->add_flag("--quiet", o->run.quiet, "no progress or summary text");
    return {cmd, [o] { return command_resume(*o); }};
}

} // namespace lamina::app
