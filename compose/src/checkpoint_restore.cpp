#include "lamina/compose/checkpoint_restore.hpp"
#include "lamina/sim/communicator.hpp"

namespace lamina::compose {

restored_network restore_checkpoint(const std::string& path, std::optional<int> threads,
                                    const std::function<void(model_description&)>& adjust, const registries& r,
                                    std::shared_ptr<sim::communicator> comm) {
    restored_network out;
    out.header = sim::read_checkpoint_header(path);
    if (out.header.description.empty())
        throw sim::checkpoint_error(path + ": the checkpoint carries no model description (a network built in C++ "
                                           "without one); load it into the same network with load_checkpoint");
    // Relative paths inside the description (connectivity files) resolve against where it came from.
    const std::string origin = out.header.description_origin.empty() ? path : out.header.description_origin;
    out.description = parse_model_text(out.header.description, origin, r);
    if (adjust) adjust(out.description);
    run_overrides o;
    o.threads = threads;
    o.seed = out.header.seed;
    out.network = instantiate(out.description, o, r);
    if (comm) out.network->set_communicator(std::move(comm));
    out.network->load_checkpoint(path);
    return out;
}

} // namespace lamina::compose
