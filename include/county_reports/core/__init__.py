"""The core every stage may use, and which imports no stage.

The one config reader (``config``) and the admins' config it reads (``catalog``, ``targets``,
``admins``, ``mail``, ``messages``, ``report_settings``, the key-project register in ``projects``);
where things are (``paths``), month arithmetic (``periods``), atomic writes (``atomic``), the raw
bytes kept before parsing (``archive``), tokens, and what "reported" means (``timeliness``).
"""
