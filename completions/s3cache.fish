# fish completion for s3cache, generated from its click commands.
function _s3cache_completion
    set -l response (env _S3CACHE_COMPLETE=fish_complete \
        COMP_WORDS=(commandline -cp) COMP_CWORD=(commandline -t) s3cache)

    for completion in $response
        set -l metadata (string split -m 1 "," -- $completion)
        switch $metadata[1]
            case dir
                __fish_complete_directories $metadata[2]
            case file
                __fish_complete_path $metadata[2]
            case plain
                printf '%s\n' $metadata[2]
        end
    end
end

complete --no-files --command s3cache --arguments "(_s3cache_completion)"
