#pragma once
// The subcommands of `lamina`, one source file each: every add_*_command puts its subcommand and
// options on the parser and returns what runs when the user chose it. run_cli (cli.cpp) only
// assembles the parser and dispatches.
#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace lamina::app {

struct subcommand {
    CLI::App* parser;         // true once the user chose this subcommand
    std::function<int()> run; // the exit status (cli.hpp)
};

subcommand add_run_command(CLI::App& app);       // run.cpp
subcommand add_resume_command(CLI::App& app);    // resume.cpp
subcommand add_check_command(CLI::App& app);     // check.cpp
subcommand add_info_command(CLI::App& app);      // info.cpp
subcommand add_spectrum_command(CLI::App& app);  // spectrum.cpp
subcommand add_substrate_command(CLI::App& app); // substrate.cpp
// `bridge mnist` and `bridge retention` (bridge.cpp).
std::vector<subcommand> add_bridge_commands(CLI::App& app);

} // namespace lamina::app
