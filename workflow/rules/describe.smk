# Descriptives and bias checks of the analysis data.


rule describe:
    conda:
        ENV
    threads: rule_threads("describe")
    resources:
        mem_mb=rule_mem_mb("describe"),
        runtime=rule_runtime("describe"),
    input:
        data=ANALYSIS,
        untreated=rules.screen.output.untreated,
        flags=rules.screen.output.flags,
        frame=config["sampling_frame"] if HAS_FRAME else [],
        model=config["model"],
        codebook=config["codebook"],
    output:
        item_table="results/descriptives/items.csv",
        correlations="results/descriptives/construct_correlations.csv",
        settings="results/descriptives/settings.json",
        # the response rate needs the sampling frame
        response="results/descriptives/response.csv" if HAS_FRAME else [],
    params:
        response=f"--flags {rules.screen.output.flags} --frame {config['sampling_frame']}" if HAS_FRAME else "",
    log:
        "logs/describe.log",
    shell:
        "python -m leanlearn describe {input.data} {input.model} --untreated {input.untreated} "
        "--codebook {input.codebook} {params.response} --out results/descriptives > {log} 2>&1"


rule bias:
    conda:
        ENV
    threads: rule_threads("bias")
    resources:
        mem_mb=rule_mem_mb("bias"),
        runtime=rule_runtime("bias"),
    input:
        data=ANALYSIS,
        model=config["model"],
        codebook=config["codebook"],
        frame=config["sampling_frame"] if HAS_FRAME else [],
    output:
        early_late="results/bias/nonresponse_early_late.csv",
        frame="results/bias/nonresponse_frame.csv",
        nonresponse="results/bias/nonresponse_bias.csv",
        vif="results/bias/full_collinearity_vif.csv",
        marker="results/bias/marker_correction.csv",
        harman="results/bias/harman.csv",
        informants="results/bias/key_informants.csv",
        remedies="results/bias/procedural_remedies.csv",
        settings="results/bias/settings.json",
        marker_correlations="results/bias/marker_correlations.csv",
        marker_paths="results/bias/marker_paths.csv",
        method_factor="results/bias/method_factor.csv",
        method_factor_loadings="results/bias/method_factor_loadings.csv",
        triangulation="results/bias/archival_triangulation.csv",
    params:
        bias=config.get("bias"),
        estimation=config.get("estimation"),
        seed=config["seed"],
        frame=f"--frame {config['sampling_frame']}" if HAS_FRAME else "",
    log:
        "logs/bias.log",
    shell:
        "python -m leanlearn bias {input.data} {input.model} --config results/config.yaml "
        "--codebook {input.codebook} {params.frame} --out results/bias > {log} 2>&1"
