#include "plot_script.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace lamina::app {

std::string find_plot_script(const std::string& name, const char* env_var) {
    if (const char* e = std::getenv(env_var); e && *e) return e;
    std::vector<std::filesystem::path> candidates;
    std::error_code ec;
    const auto exe_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec) candidates.push_back(exe_dir.parent_path() / "share/lamina" / name);
    candidates.push_back(std::filesystem::path(LAMINA_INSTALL_DATADIR) / name);
    candidates.push_back(std::filesystem::path(LAMINA_SOURCE_SCRIPTS_DIR) / name);
    for (const auto& c : candidates) {
        std::error_code missing;
        if (std::filesystem::is_regular_file(c, missing)) return c.string();
    }
    return {};
}

std::string run_plot_script(const std::string& script, const std::string& data, const std::string& png) {
    std::string python = "/usr/bin/python3";
    if (const char* e = std::getenv("LAMINA_PYTHON"); e && *e)
        python = e;
    else if (access(python.c_str(), X_OK) != 0)
        python = "python3";
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) return "cannot start a process";
    if (pid == 0) {
        dup2(2, 1);
        const char* argv[] = {python.c_str(), script.c_str(), data.c_str(), png.c_str(), nullptr};
        execvp(argv[0], const_cast<char* const*>(argv));
        std::fprintf(stderr, "lamina: cannot run %s: %s\n", python.c_str(), std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return "lost the plotting process";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return python + " is not available";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return "matplotlib is not available to " + python;
    return script + " failed";
}

std::string plot_with(const std::string& script_name, const char* env_var, const std::string& data,
                      const std::string& png) {
    const std::string script = find_plot_script(script_name, env_var);
    if (script.empty()) return "scripts/" + script_name + " not found (set " + env_var + ")";
    char tmpl[] = "/tmp/lamina_plot_XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0) return "cannot create a temporary file";
    const bool ok = write(fd, data.data(), data.size()) == ssize_t(data.size());
    close(fd);
    std::string why = ok ? run_plot_script(script, tmpl, png) : "cannot write a temporary file";
    std::remove(tmpl);
    return why;
}

} // namespace lamina::app
