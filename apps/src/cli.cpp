// The `lamina` parser: every subcommand adds itself (one source file each, commands.hpp); this only
// sets the version flag, parses and runs the chosen one.
#include "lamina/app/cli.hpp"

#include "commands.hpp"

#include <string>
#include <vector>

namespace lamina::app {

int run_cli(int argc, char** argv) {
    CLI::App app{"lamina: spiking-network simulator"};
    app.set_version_flag("--version", std::string("lamina ") + LAMINA_VERSION);
    app.require_subcommand(1);

    // In the order `lamina --help` lists them.
    std::vector<subcommand> commands{add_run_command(app), add_resume_command(app), add_check_command(app), add_info_command(app),
                                     add_substrate_command(app),
                                     add_spectrum_command(app)};
    for (auto& c : add_bridge_commands(app)) commands.push_back(std::move(c));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : exit_bad_input;
    }
    for (const auto& c : commands)
        if (*c.parser) return c.run();
    return exit_bad_input;
}

} // namespace lamina::app
