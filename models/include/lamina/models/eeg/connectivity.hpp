#pragma once
// Functional connectivity between recorded signals (EEG/LFP proxies, electrodes, lattice nodes):
// magnitude-squared coherence from Welch cross-spectra, the phase-locking value of band-passed
// signals and the amplitude envelope correlation. What `lamina connectivity` computes
// (docs/spectra.md, "Connectivity").
//
// Band-passed analytic signal (one FFT pair per signal and band): the signal, mean removed and
// extended at both ends by its mirror image (pad = min(n - 1, 3 fs / min(f_lo, transition))
// samples, three lengths of the filter's impulse response, against the circular wrap of the FFT), is transformed; the spectrum is multiplied by a real, non-negative
// gain G(f) and by 2 at positive frequencies, 0 at negative ones and at 0 Hz (the analytic signal
// of Marple 1999, as scipy.signal.hilbert), and transformed back; the pad is cut off.
//     G(f) = 1 in [lo, hi], a raised-cosine (Hann) edge of width `transition` outside each end, 0
//            beyond (transition = min(lo/2, 1 Hz) by default, so that neighbouring EEG bands overlap
//            by at most 2 Hz and a rhythm 1 Hz outside a band does not enter it).
// G is real, so the filter has zero phase: the phases of two signals are shifted by nothing.
//
//     z(t) = a(t) exp(i phi(t)),  envelope a = |z|,  phase phi = arg z.
//     PLV_xy   = | (1/N) sum_t exp(i (phi_x(t) - phi_y(t))) |      in [0, 1]
//     lag_xy   = arg  (1/N) sum_t exp(i (phi_x(t) - phi_y(t)))      rad, x leads y when > 0
//     AEC_xy   = Pearson correlation of a_x and a_y over t           in [-1, 1]
//     MSC_xy(f) = |P_xy(f)|^2 / (P_xx(f) P_yy(f))   Welch (Hann, constant detrend) auto- and
//                 cross-spectra on the same segments; band coherence = mean of MSC over the bins
//                 in the band; phase of P_xy (x leads y when > 0).
//
// Chance levels for independent signals: N independent uniform phases give E[PLV^2] = 1/N
// (E[PLV] -> sqrt(pi / (4 N))). Band-passed Gaussian noise has correlated phases; with r(tau)
// the normalised complex autocorrelation of the analytic signal (here of the filter applied to
// white noise, r = IDFT of G^2), E[exp(i (phi_t - phi_{t+tau}))] = (pi/4) |r| 2F1(1/2, 1/2; 2;
// |r|^2) (the phase-difference distribution of a circular complex Gaussian pair), so for two
// independent such signals
//     E[PLV^2] = (1/N^2) sum_{s,t} g(s - t)^2,   g(tau) = (pi/4) |r(tau)| 2F1(1/2, 1/2; 2; |r(tau)|^2).
// K independent segments give E[MSC] = 1/K for independent Gaussian signals.
#include "lamina/models/eeg/band_metrics.hpp"

#include <complex>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace lamina::models::eeg {

struct bandpass_options {
    double transition_hz = 0.0;  // width of each raised-cosine edge; 0: the default above
    bool mirror_pad = true;
};

// The band-passed analytic signal of x (sampled at fs Hz) in [lo, hi] Hz. Throws
// std::invalid_argument for fewer than 4 samples, non-finite samples, or not 0 < lo < hi < fs/2.
std::vector<std::complex<double>> bandpass_analytic(std::span<const double> x, double fs, frequency_band band,
                                                    const bandpass_options& options = {});

// The filter gain G(f) used above, at frequency f (Hz).
double bandpass_gain(double f, frequency_band band, const bandpass_options& options = {});

struct phase_locking {
    double plv = 0.0;
    double lag_rad = 0.0;  // mean phase difference phi_x - phi_y
};
// PLV and mean phase difference of two phase series of one length (throws otherwise).
phase_locking phase_locking_value(std::span<const double> phase_x, std::span<const double> phase_y);
// The same from two analytic signals.
phase_locking phase_locking_value(std::span<const std::complex<double>> zx, std::span<const std::complex<double>> zy);
// Pearson correlation of the envelopes |zx| and |zy| (NaN if one is constant).
double envelope_correlation(std::span<const std::complex<double>> zx, std::span<const std::complex<double>> zy);

struct coherence_spectrum {
    std::vector<double> freqs;     // Hz
    std::vector<double> msc;       // magnitude-squared coherence in [0, 1]
    std::vector<double> phase;     // arg P_xy, rad
    std::size_t segments = 0;
};
// Welch coherence of x and y (same length): segments of nperseg samples with noverlap overlap,
// Hann window, constant detrend. Throws std::invalid_argument on bad sizes.
coherence_spectrum coherence(std::span<const double> x, std::span<const double> y, double fs, std::size_t nperseg,
                             std::size_t noverlap);
// Mean MSC over the bins with lo <= f <= hi (NaN if none).
double band_coherence(const coherence_spectrum& c, frequency_band band);

// E[PLV^2] for two independent Gaussian white noises band-passed by bandpass_analytic over n
// samples (see above; periodic boundary assumed for r, the mirror padding changes it little).
double plv_chance_squared(std::size_t n, double fs, frequency_band band, const bandpass_options& options = {});

// Gauss hypergeometric 2F1(1/2, 1/2; 2; z) for 0 <= z <= 1 (4/pi at z = 1).
double hypergeometric_half_half_two(double z);

// All pairs of several signals of one length: N x N row-major matrices per band.
struct connectivity_matrices {
    std::vector<std::string> bands;           // names
    std::vector<frequency_band> band_limits;
    std::size_t signals = 0;
    // [band][i * signals + j]; diagonals are 1 (coherence, PLV, AEC) and 0 (lag).
    std::vector<std::vector<double>> coherence, plv, lag, aec;
    std::vector<double> plv_chance;           // per band: sqrt(E[PLV^2]) of independent noise
    double coherence_chance = 0.0;            // 1 / K_eff of the Welch segments
    std::size_t nperseg = 0, segments = 0;
    // Bands the record cannot resolve, left out of the matrices, each with the reason.
    struct skipped_band {
        std::string name;
        frequency_band band;
        std::string reason;
    };
    std::vector<skipped_band> skipped;
};
struct named_band {
    std::string name;
    frequency_band band;
};
// Why a record of n samples at fs (Welch segments of nperseg) cannot resolve `band`, or "" if it
// can: the band must lie below fs/2 and hold a frequency bin of both the record's DFT grid (fs/n,
// for the band-pass behind PLV and AEC) and the segment grid (fs/nperseg, for coherence).
std::string unresolved_band_reason(frequency_band band, double fs, std::size_t n, std::size_t nperseg);
// The EEG bands of band_metrics (delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45 Hz).
std::vector<named_band> default_connectivity_bands();
// Bands that unresolved_band_reason refuses are skipped (connectivity_matrices::skipped), not errors.
connectivity_matrices connectivity(std::span<const std::vector<double>> signals, double fs,
                                   std::span<const named_band> bands, std::size_t nperseg, double overlap = 0.5);

} // namespace lamina::models::eeg
