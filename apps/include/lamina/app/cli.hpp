#pragma once
// The `lamina` command: run, check, info, spectrum and bridge (see README, docs/model-files.md and
// docs/bridges.md).
namespace lamina::app {

// Exit status: 0 success, 1 a failure while running (I/O), 2 bad input (usage, model file,
// too large for memory), 130 interrupted by SIGINT (the result file is complete and marked).
constexpr int exit_failure = 1;
constexpr int exit_bad_input = 2;
constexpr int exit_interrupted = 130;

int run_cli(int argc, char** argv);

} // namespace lamina::app
