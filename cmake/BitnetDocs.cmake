# docs target: see BitnetDocs
