// AWS Signature Version 4: see SigV4Signer (to be written in this module).
